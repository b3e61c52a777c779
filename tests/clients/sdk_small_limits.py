"""Drives the official anthropic Python SDK through ccproxy to a reasoning model that needs
room to think (tests/it/small_limits.rs scripts one reply per upstream call, in this order):
Claude Code's one-token probe, streamed and not, and a max_tokens 0 pre-warm answered
without an upstream call. Exits non-zero with the reason on the first mismatch.
"""
from sdk_common import MODEL, check, client

HI = [{"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}]}]


# 1. The probe, not streamed: the answer is cut back to one token.
message = client.messages.create(model=MODEL, max_tokens=1, messages=HI)
check(message.stop_reason == "max_tokens", f"stop {message.stop_reason}")
check(message.usage.output_tokens <= 1, f"usage {message.usage}")
check(message.usage.input_tokens == 20, f"usage {message.usage}")
text = "".join(b.text for b in message.content if b.type == "text")
check(0 < len(text) <= 4, f"text {message.content}")

# 2. The probe, streamed: message_start already counts the input.
with client.messages.stream(model=MODEL, max_tokens=1, messages=HI) as stream:
    started = None
    for event in stream:
        if event.type == "message_start":
            started = event.message.usage.input_tokens
    final = stream.get_final_message()
check(started is not None and started > 0, f"message_start input_tokens {started}")
check(final.stop_reason == "max_tokens", f"stop {final.stop_reason}")
check(final.usage.output_tokens <= 1, f"usage {final.usage}")
check(final.usage.input_tokens == 20, f"final usage {final.usage}")

# 3. A pre-warm: nothing generated, the input counted.
message = client.messages.create(model=MODEL, max_tokens=0, messages=HI)
check(message.content == [], f"content {message.content}")
check(message.stop_reason == "max_tokens", f"stop {message.stop_reason}")
check(message.usage.input_tokens > 0 and message.usage.output_tokens == 0, f"usage {message.usage}")

print("sdk ok")
