"""Drives the official anthropic Python SDK through ccproxy to a Responses API upstream
(tests/it/responses.rs scripts one reply per call below, in this order). Exits non-zero
with the reason on the first mismatch.
"""
import sys

import anthropic

from sdk_common import MODEL, check, client, stream_fails

TOOLS = [
    {"name": "get_weather", "description": "Weather for a city",
     "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                      "required": ["city"], "additionalProperties": False}},
]


# 1. create: text, with cached input tokens counted apart.
message = client.messages.create(
    model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "Say hello"}]
)
check([b.type for b in message.content] == ["text"], f"blocks {message.content}")
check(message.content[0].text == "Hello from Responses", f"text {message.content}")
check(message.stop_reason == "end_turn", f"stop {message.stop_reason}")
check(message.usage.input_tokens == 11 and message.usage.cache_read_input_tokens == 4
      and message.usage.output_tokens == 2, f"usage {message.usage}")

# 2. create: reasoning, then a tool call.
question = [{"role": "user", "content": "Weather in Paris?"}]
message = client.messages.create(
    model=MODEL, max_tokens=2000, tools=TOOLS, messages=question,
    thinking={"type": "enabled", "budget_tokens": 1024},
)
check(message.stop_reason == "tool_use", f"stop {message.stop_reason}")
check([b.type for b in message.content] == ["thinking", "tool_use"], f"blocks {message.content}")
thinking, tool = message.content
check(thinking.thinking == "I need the weather.", f"thinking {thinking}")
check(thinking.signature.startswith("ccproxy:responses:"), f"signature {thinking.signature}")
check(tool.name == "get_weather" and tool.input == {"city": "Paris"}, f"tool {tool}")

# 3. create: the turn goes back whole (reasoning included) with the tool result.
message = client.messages.create(
    model=MODEL, max_tokens=2000, tools=TOOLS,
    thinking={"type": "enabled", "budget_tokens": 1024},
    messages=question + [
        {"role": "assistant", "content": message.content},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool.id, "content": "18 C, sunny"}]},
    ],
)
check(message.content[-1].text == "It is sunny in Paris.", f"text {message.content}")

# 4. stream with get_final_message: reasoning summary, then text.
with client.messages.stream(
    model=MODEL, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
    messages=[{"role": "user", "content": "Think, then answer"}],
) as stream:
    texts = list(stream.text_stream)
    final = stream.get_final_message()
check("".join(texts) == "The answer is 42.", f"text_stream {texts}")
check([b.type for b in final.content] == ["thinking", "text"], f"blocks {final.content}")
check(final.content[0].thinking == "Six times seven.", f"thinking {final.content[0]}")
check(final.content[0].signature.startswith("ccproxy:responses:rs_2:"), f"{final.content[0]}")
check(final.stop_reason == "end_turn", f"stop {final.stop_reason}")
check(final.usage.input_tokens == 20 and final.usage.output_tokens == 9, f"usage {final.usage}")

# 5. a 429 from /responses is the SDK's RateLimitError.
try:
    client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    sys.exit("mismatch: a 429 raised nothing")
except anthropic.RateLimitError as error:
    check(error.status_code == 429, f"status {error.status_code}")
    check(error.response.headers.get("retry-after") == "7", f"headers {error.response.headers}")

# 6. response.failed before any output item: a real HTTP error, not a broken stream.
error = stream_fails("x", 10, anthropic.RateLimitError)
check(error.status_code == 429, f"status {error.status_code}")

# 7. response.failed after text: the stream ends with an error event.
error = stream_fails("fail", 100, anthropic.APIStatusError)
check("crashed" in str(error).lower(), f"error {error}")

print("sdk ok")
