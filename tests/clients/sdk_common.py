"""What the SDK scripts beside this file share: a client for the proxy under test (its URL in
CCPROXY_URL, no retries, a deadline), the model they ask for, and their checks. Each check
exits non-zero with the reason on the first mismatch.
"""
import os
import sys

import anthropic

client = anthropic.Anthropic(
    base_url=os.environ["CCPROXY_URL"], api_key="client-key", max_retries=0, timeout=20
)
MODEL = "claude-sonnet-4-5"


def check(condition, what):
    if not condition:
        sys.exit(f"mismatch: {what}")


def stream_fails(content, max_tokens, error_type):
    """Streams one user message and returns the SDK error it must raise (of `error_type`)."""
    try:
        with client.messages.stream(
            model=MODEL, max_tokens=max_tokens, messages=[{"role": "user", "content": content}]
        ) as stream:
            stream.get_final_message()
    except error_type as error:
        return error
    sys.exit(f"mismatch: streaming {content!r} raised nothing")
