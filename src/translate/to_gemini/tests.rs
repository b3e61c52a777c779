use serde_json::{json, Value};

use super::*;

fn translate(body: Value) -> Value {
    let request: anthropic::MessagesRequest = serde_json::from_value(body).expect("request");
    serde_json::to_value(request_for(&request)).expect("JSON")
}

fn request_for(request: &anthropic::MessagesRequest) -> gemini::Request {
    super::request(request, Some(8192)).expect("translatable")
}

#[test]
fn turns_alternate_and_system_messages_become_user_text() {
    let out = translate(json!({"model": "m", "max_tokens": 100000, "messages": [
        {"role": "user", "content": "a"},
        {"role": "system", "content": "guidance"},
        {"role": "assistant", "content": [{"type": "text", "text": " "}]},
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}}]}]}));
    assert_eq!(
        out["contents"],
        json!([{"role": "user", "parts": [
            {"text": "a"}, {"text": "guidance"},
            {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}, {"text": "doc"}]}])
    );
    assert_eq!(
        out["generationConfig"]["maxOutputTokens"], 8192,
        "clamped to the model"
    );
}

#[test]
fn tool_choice_maps_to_function_calling_modes() {
    let choice = |choice: Value| {
        translate(
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}],
            "tools": [{"name": "f", "input_schema": {"type": "object", "properties": {"x": {"type": "string"}}}},
                      {"type": "web_search_20250305", "name": "web_search"}],
            "tool_choice": choice}),
        )
    };
    let out = choice(json!({"type": "tool", "name": "f"}));
    assert_eq!(
        out["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}})
    );
    assert_eq!(
        out["tools"][0]["functionDeclarations"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "server tools are left out"
    );
    assert_eq!(
        choice(json!({"type": "none"}))["toolConfig"]["functionCallingConfig"]["mode"],
        "NONE"
    );
    assert_eq!(
        choice(json!({"type": "auto"}))["toolConfig"]["functionCallingConfig"]["mode"],
        "AUTO"
    );
}

#[test]
fn structured_output_and_sampling_reach_the_generation_config() {
    let out = translate(
        json!({"model": "m", "max_tokens": 50, "temperature": 0.2, "top_p": 0.9,
        "top_k": 40, "stop_sequences": ["1", "2", "3", "4", "5", "6"],
        "thinking": {"type": "adaptive"},
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object", "additionalProperties": false}}},
        "messages": [{"role": "user", "content": "a"}]}),
    );
    assert_eq!(
        out["generationConfig"],
        json!({"maxOutputTokens": 50, "temperature": 0.2, "topP": 0.9, "topK": 40,
               "stopSequences": ["1", "2", "3", "4", "5"],
               "responseMimeType": "application/json",
               "responseJsonSchema": {"type": "object", "additionalProperties": false},
               "thinkingConfig": {"includeThoughts": true}})
    );
}

#[test]
fn a_gemini_thinking_block_goes_back_as_a_signed_thought() {
    let out = translate(json!({"model": "m", "messages": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hm", "signature": "ccproxy:gemini:c2ln"},
            {"type": "text", "text": "done"}]}]}));
    assert_eq!(
        out["contents"][1]["parts"],
        json!([{"text": "hm", "thought": true, "thoughtSignature": "c2ln"}, {"text": "done"}])
    );
}
