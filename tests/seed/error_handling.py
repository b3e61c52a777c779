# The Python error-handling example that came with ccproxy's error contract (the one
# docs/errors.md documents), kept as it was written: only the `messages` placeholder is
# filled (with the function's argument) and the code is wrapped in a function.
# tests/it/seed_examples.rs runs it against ccproxy.
import requests


def call_ccproxy(messages):
    try:
        response = requests.post(
            "http://localhost:3456/v1/messages",
            json={"model": "claude-3-sonnet", "messages": messages},
            headers={"Content-Type": "application/json"}
        )
        response.raise_for_status()
        return response.json()
    except requests.exceptions.HTTPError as e:
        error = e.response.json().get("error", {})
        if error.get("code") == "rate_limit_exceeded":
            retry_after = error.get("details", {}).get("retry_after", 60)
            print(f"Rate limited, retry after {retry_after} seconds")
        elif error.get("code") == "invalid_api_key":
            print("Invalid API key, check configuration")
        else:
            print(f"API error: {error.get('message')}")


if __name__ == "__main__":
    call_ccproxy([{"role": "user", "content": "Hello"}])
