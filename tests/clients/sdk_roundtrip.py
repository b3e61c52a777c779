"""Drives the official anthropic Python SDK through ccproxy (tests/real_clients.rs).

The Rust test scripts the OpenAI-compatible upstream with one reply per call below, in
this order; this script asserts what the SDK built from each answer and exits non-zero
(with the reason) on the first mismatch.
"""
import anthropic

from sdk_common import MODEL, check, client, stream_fails

TOOLS = [
    {"name": "get_weather", "description": "Weather for a city",
     "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
    {"name": "get_time", "description": "Time in a city",
     "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
]


# 1. messages.create, text.
message = client.messages.create(
    model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "Say hello"}]
)
check(message.type == "message" and message.role == "assistant", f"shape {message}")
check(message.id.startswith("msg_"), f"id {message.id}")
check([b.type for b in message.content] == ["text"], f"blocks {message.content}")
check(message.content[0].text == "Hello from ccproxy", f"text {message.content}")
check(message.stop_reason == "end_turn", f"stop {message.stop_reason}")
check(message.usage.input_tokens == 11 and message.usage.output_tokens == 2, f"usage {message.usage}")

# 2. messages.create, a tool call with sloppy arguments.
message = client.messages.create(
    model=MODEL, max_tokens=100, tools=TOOLS,
    messages=[{"role": "user", "content": "Weather in Paris?"}],
)
check(message.stop_reason == "tool_use", f"stop {message.stop_reason}")
tool = message.content[-1]
check(tool.type == "tool_use" and tool.name == "get_weather", f"tool {tool}")
check(tool.input == {"city": "Paris"}, f"input {tool.input}")

# 3. messages.create, the tool result goes back; thinking comes first.
message = client.messages.create(
    model=MODEL, max_tokens=2000, tools=TOOLS,
    thinking={"type": "enabled", "budget_tokens": 1024},
    messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": tool.id, "name": tool.name, "input": tool.input}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool.id, "content": "18 C, sunny"}]},
    ],
)
check([b.type for b in message.content] == ["thinking", "text"], f"blocks {message.content}")
check(message.content[0].thinking == "The tool said sunny.", f"thinking {message.content[0]}")
check("sunny" in message.content[1].text, f"text {message.content[1]}")

# 4. messages.stream, thinking then text.
with client.messages.stream(
    model=MODEL, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
    messages=[{"role": "user", "content": "Think, then answer"}],
) as stream:
    texts = list(stream.text_stream)
    final = stream.get_final_message()
check("".join(texts) == "The answer is 42.", f"text_stream {texts}")
check([b.type for b in final.content] == ["thinking", "text"], f"blocks {final.content}")
check(final.content[0].thinking == "Six times seven.", f"thinking {final.content[0]}")
check(final.content[1].text == "The answer is 42.", f"text {final.content[1]}")
check(final.stop_reason == "end_turn", f"stop {final.stop_reason}")
check(final.usage.output_tokens == 9 and final.usage.input_tokens == 20, f"usage {final.usage}")

# 5. messages.stream, parallel tool calls whose arguments arrive interleaved.
with client.messages.stream(
    model=MODEL, max_tokens=200, tools=TOOLS,
    messages=[{"role": "user", "content": "Weather and time in Oslo"}],
) as stream:
    final = stream.get_final_message()
check(final.stop_reason == "tool_use", f"stop {final.stop_reason}")
calls = [(b.name, b.input) for b in final.content if b.type == "tool_use"]
check(calls == [("get_weather", {"city": "Oslo"}), ("get_time", {"city": "Oslo"})], f"calls {calls}")
ids = [b.id for b in final.content if b.type == "tool_use"]
check(all(i.replace("_", "").replace("-", "").isalnum() for i in ids), f"ids {ids}")

# 6. messages.stream, an upstream failure mid-stream surfaces as an SDK error.
error = stream_fails("fail", 100, anthropic.APIStatusError)
check("overloaded" in str(error).lower(), f"error {error}")

print("sdk ok")
