#!/usr/bin/env python3
"""Generate the benchmark request bodies (run once; the outputs are committed).

Writes, next to this script:
  small.json                 a small Anthropic /v1/messages request (non-streaming)
  small-stream.json          the same with "stream": true
  claude-code-50k.json       a ~50 KB Claude-Code-like request (streaming, tools, thinking)
  *.openai.json              the OpenAI /chat/completions equivalent of each, which the
                             benchmark sends directly to the upstream, so that "direct"
                             moves a body of the same size as the proxy's upstream leg.

Only the standard library is used; output is deterministic.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = "claude-sonnet-4-5-20250929"


def dump(name, obj):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def small(stream):
    body = {
        "model": MODEL,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Say hello in one short sentence."}],
    }
    if stream:
        body["stream"] = True
    return body


def schema(props, required):
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "$schema": "http://json-schema.org/draft-07/schema#",
    }


S = {"type": "string"}
N = {"type": "number"}
B = {"type": "boolean"}


def d(text, **extra):
    return dict(extra, description=text)


GIT_NOTES = (
    " When the user asks you to create a commit, first run git status, git diff and git log in "
    "parallel to understand the change and the repository's commit style; draft a concise message "
    "that focuses on why rather than what; never update the git config; never use interactive flags "
    "such as -i; never push unless asked; if a pre-commit hook changes files, amend only when it is safe. "
)
BASH_DESC = (
    "Executes a given bash command in a persistent shell session with optional timeout, ensuring "
    "proper handling and security measures.\n\nBefore executing the command, please follow these steps:\n"
    "1. Directory Verification: if the command will create new directories or files, first use `ls` to "
    "verify the parent directory exists and is the correct location.\n2. Command Execution: always quote "
    "file paths that contain spaces with double quotes. After ensuring proper quoting, execute the command "
    "and capture its output.\n\nUsage notes:\n- The command argument is required.\n- You can specify an "
    "optional timeout in milliseconds (up to 600000ms / 10 minutes). If not specified, commands will time "
    "out after 120000ms (2 minutes).\n- It is very helpful if you write a clear, concise description of what "
    "this command does in 5-10 words.\n- If the output exceeds 30000 characters, output will be truncated.\n"
    "- Avoid using search commands like `find` and `grep`; use Grep, Glob or Task instead. Avoid `cat`, "
    "`head`, `tail` and `ls`; use Read and LS instead.\n- When issuing multiple commands, use ';' or '&&' "
    "to separate them, not newlines.\n- Try to maintain your current working directory throughout the "
    "session by using absolute paths and avoiding `cd`.\n\n# Committing changes with git\n" + GIT_NOTES * 6
    + "\n# Creating pull requests\nUse the gh command via the Bash tool for all GitHub-related tasks "
    "including working with issues, pull requests, checks, and releases." * 2
)

TOOLS = [
    ("Task", "Launch a new agent to handle complex, multi-step tasks autonomously. Available agent types: "
     "general-purpose (researching complex questions, searching for code, executing multi-step tasks), "
     "statusline-setup, output-style-setup, Explore (fast agent specialised for exploring codebases). "
     "When to use: when you are searching for a keyword or file and are not confident that you will find "
     "the right match in the first few tries. Launch multiple agents concurrently whenever possible. " * 3,
     schema({"description": d("A short (3-5 word) description of the task", **S),
             "prompt": d("The task for the agent to perform", **S),
             "subagent_type": d("The type of specialized agent to use for this task", **S)},
            ["description", "prompt", "subagent_type"])),
    ("Bash", BASH_DESC,
     schema({"command": d("The command to execute", **S),
             "timeout": d("Optional timeout in milliseconds (max 600000)", **N),
             "description": d("Clear, concise description of what this command does in 5-10 words", **S),
             "run_in_background": d("Set to true to run this command in the background.", **B)},
            ["command"])),
    ("Glob", "- Fast file pattern matching tool that works with any codebase size\n- Supports glob patterns "
     "like \"**/*.js\" or \"src/**/*.ts\"\n- Returns matching file paths sorted by modification time\n- Use "
     "this tool when you need to find files by name patterns\n- When you are doing an open ended search that "
     "may require multiple rounds of globbing and grepping, use the Agent tool instead.",
     schema({"pattern": d("The glob pattern to match files against", **S),
             "path": d("The directory to search in. Defaults to the current working directory.", **S)},
            ["pattern"])),
    ("Grep", "A powerful search tool built on ripgrep.\n\n  Usage:\n  - ALWAYS use Grep for search tasks. "
     "NEVER invoke `grep` or `rg` as a Bash command.\n  - Supports full regex syntax (e.g. \"log.*Error\", "
     "\"function\\\\s+\\\\w+\")\n  - Filter files with glob parameter or type parameter\n  - Output modes: "
     "\"content\" shows matching lines, \"files_with_matches\" shows only file paths (default), \"count\" "
     "shows match counts\n  - Multiline matching: by default patterns match within single lines only.",
     schema({"pattern": d("The regular expression pattern to search for in file contents", **S),
             "path": d("File or directory to search in. Defaults to current working directory.", **S),
             "glob": d("Glob pattern to filter files (e.g. \"*.js\", \"*.{ts,tsx}\")", **S),
             "output_mode": d("Output mode", type="string", enum=["content", "files_with_matches", "count"]),
             "-B": d("Number of lines to show before each match", **N),
             "-A": d("Number of lines to show after each match", **N),
             "-C": d("Number of lines to show before and after each match", **N),
             "-n": d("Show line numbers in output", **B),
             "-i": d("Case insensitive search", **B),
             "type": d("File type to search (rg --type)", **S),
             "head_limit": d("Limit output to first N lines/entries", **N),
             "multiline": d("Enable multiline mode where . matches newlines", **B)},
            ["pattern"])),
    ("Read", "Reads a file from the local filesystem. You can access any file directly by using this tool.\n"
     "Usage:\n- The file_path parameter must be an absolute path, not a relative path\n- By default, it reads "
     "up to 2000 lines starting from the beginning of the file\n- You can optionally specify a line offset and "
     "limit\n- Any lines longer than 2000 characters will be truncated\n- Results are returned using cat -n "
     "format, with line numbers starting at 1\n- This tool allows Claude Code to read images (PNG, JPG), PDF "
     "files and Jupyter notebooks.",
     schema({"file_path": d("The absolute path to the file to read", **S),
             "offset": d("The line number to start reading from", **N),
             "limit": d("The number of lines to read", **N)},
            ["file_path"])),
    ("Edit", "Performs exact string replacements in files.\n\nUsage:\n- You must use your `Read` tool at least "
     "once in the conversation before editing.\n- When editing text from Read tool output, ensure you preserve "
     "the exact indentation (tabs/spaces) as it appears AFTER the line number prefix.\n- ALWAYS prefer editing "
     "existing files in the codebase. NEVER write new files unless explicitly required.\n- The edit will FAIL "
     "if `old_string` is not unique in the file.\n- Use `replace_all` for replacing and renaming strings "
     "across the file.",
     schema({"file_path": d("The absolute path to the file to modify", **S),
             "old_string": d("The text to replace", **S),
             "new_string": d("The text to replace it with (must be different from old_string)", **S),
             "replace_all": d("Replace all occurences of old_string (default false)", type="boolean", default=False)},
            ["file_path", "old_string", "new_string"])),
    ("Write", "Writes a file to the local filesystem.\n\nUsage:\n- This tool will overwrite the existing file "
     "if there is one at the provided path.\n- If this is an existing file, you MUST use the Read tool first.\n"
     "- NEVER proactively create documentation files (*.md) or README files.",
     schema({"file_path": d("The absolute path to the file to write (must be absolute, not relative)", **S),
             "content": d("The content to write to the file", **S)},
            ["file_path", "content"])),
    ("NotebookEdit", "Completely replaces the contents of a specific cell in a Jupyter notebook (.ipynb "
     "file) with new source. Jupyter notebooks are interactive documents that combine code, text, and "
     "visualizations, commonly used for data analysis and scientific computing.",
     schema({"notebook_path": d("The absolute path to the Jupyter notebook file to edit", **S),
             "cell_id": d("The ID of the cell to edit", **S),
             "new_source": d("The new source for the cell", **S),
             "cell_type": d("The type of the cell (code or markdown).", type="string", enum=["code", "markdown"]),
             "edit_mode": d("The type of edit to make.", type="string", enum=["replace", "insert", "delete"])},
            ["notebook_path", "new_source"])),
    ("WebFetch", "- Fetches content from a specified URL and processes it using an AI model\n- Takes a URL "
     "and a prompt as input\n- Fetches the URL content, converts HTML to markdown\n- Processes the content "
     "with the prompt using a small, fast model\n- Includes a self-cleaning 15-minute cache.",
     schema({"url": d("The URL to fetch content from", type="string", format="uri"),
             "prompt": d("The prompt to run on the fetched content", **S)},
            ["url", "prompt"])),
    ("TodoWrite", "Use this tool to create and manage a structured task list for your current coding "
     "session. This helps you track progress, organize complex tasks, and demonstrate thoroughness to the "
     "user.\n\n## When to Use This Tool\n1. Complex multi-step tasks\n2. Non-trivial and complex tasks\n3. "
     "User explicitly requests todo list\n4. User provides multiple tasks\n\n## Task States\n- pending\n- "
     "in_progress (limit to ONE task at a time)\n- completed\n" * 2,
     schema({"todos": {"type": "array", "description": "The updated todo list",
                       "items": {"type": "object", "additionalProperties": False,
                                 "required": ["content", "status", "activeForm"],
                                 "properties": {"content": {"type": "string", "minLength": 1},
                                                "status": {"type": "string",
                                                           "enum": ["pending", "in_progress", "completed"]},
                                                "activeForm": {"type": "string", "minLength": 1}}}}},
            ["todos"])),
    ("WebSearch", "- Allows Claude to search the web and use the results to inform responses\n- Provides "
     "up-to-date information for current events and recent data\n- Domain filtering is supported.",
     schema({"query": d("The search query to use", type="string", minLength=2),
             "allowed_domains": {"type": "array", "items": S, "description": "Only include results from these domains"},
             "blocked_domains": {"type": "array", "items": S, "description": "Never include results from these domains"}},
            ["query"])),
    ("ExitPlanMode", "Use this tool when you are in plan mode and have finished presenting your plan and "
     "are ready to code. This will prompt the user to exit plan mode.",
     schema({"plan": d("The plan you came up with, that you want to run by the user for approval. "
                       "Supports markdown.", **S)}, ["plan"])),
]

SYSTEM_MAIN = (
    "You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool that "
    "helps users with software engineering tasks. Use the instructions below and the tools available to "
    "you to assist the user.\n\nIMPORTANT: Assist with defensive security tasks only.\n\n# Tone and style\n"
    "You should be concise, direct, and to the point. Your output will be displayed on a command line "
    "interface. Your responses can use Github-flavored markdown for formatting.\n\n# Following conventions\n"
    "When making changes to files, first understand the file's code conventions. Mimic code style, use "
    "existing libraries and utilities, and follow existing patterns.\n- NEVER assume that a given library "
    "is available.\n- Always follow security best practices.\n\n# Task Management\nYou have access to the "
    "TodoWrite tools to help you manage and plan tasks. Use these tools VERY frequently.\n\n# Doing tasks\n"
    "The user will primarily request you perform software engineering tasks: solving bugs, adding new "
    "functionality, refactoring code, explaining code, and more.\n- Use the available search tools to "
    "understand the codebase and the user's query.\n- Implement the solution using all tools available.\n"
    "- Verify the solution if possible with tests.\n- When you have completed a task, you MUST run the lint "
    "and typecheck commands.\n\n# Tool usage policy\n- When doing file search, prefer to use the Task tool.\n"
    "- You can call multiple tools in a single response.\n\nHere is useful information about the "
    "environment you are running in:\n<env>\nWorking directory: /home/dev/ccproxy\nIs directory a git repo: "
    "Yes\nPlatform: linux\nOS Version: Linux 6.12.0\nToday's date: 2026-05-14\n</env>\nYou are powered by "
    "the model named Sonnet 4.5. The exact model ID is claude-sonnet-4-5-20250929.\n\ngitStatus: This is "
    "the git status at the start of the conversation.\nCurrent branch: main\n\nStatus:\nM src/server.rs\n"
    "?? bench/\n\nRecent commits:\n655563b Cargo skeleton\n"
)


def read_snapshot(name="fixed_upstream.rs", limit=230):
    """A Read tool result: a source file rendered with cat -n line numbers."""
    path = os.path.join(HERE, "..", "src", "bin", name)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()[:limit]
    return "\n".join(f"{i + 1:>6}\u2192{line}" for i, line in enumerate(lines))


def claude_code():
    reminder = ("<system-reminder>\nAs you answer the user's questions, you can use the following context:\n"
                "# claudeMd\nCodebase and user instructions are shown below.\n\nContents of "
                "/home/dev/ccproxy/CLAUDE.md (project instructions, checked into the codebase):\n\n"
                "- Run `cargo fmt` and `cargo clippy --all-targets` before committing.\n- No unwrap outside "
                "tests.\n- Keep the hot path allocation-free where practical.\n"
                "      IMPORTANT: this context may or may not be relevant to your tasks.\n</system-reminder>\n")
    grep_out = "\n".join(f"src/{m}.rs" for m in [
        "server", "router", "config", "translate/request", "translate/response", "translate/stream",
        "providers/openai", "providers/anthropic", "tokens", "sse", "error", "metrics"])
    bash_out = ("   Compiling ccproxy v0.1.0 (/home/dev/ccproxy)\n    Finished `release` profile [optimized] "
                "target(s) in 41.27s\n" + "test translate::tests::roundtrip_tool_use ... ok\n" * 40
                + "\ntest result: ok. 40 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out")
    messages = [
        {"role": "user", "content": [
            {"type": "text", "text": reminder},
            {"type": "text", "text": "The fixed upstream sometimes answers slowly when streaming. Look at "
             "bench/src/bin/fixed_upstream.rs and tell me whether the SSE body can stall, then run the tests."},
        ]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I should find the file first, then read it and check how the "
             "delayed SSE body polls its timer.", "signature": "EqQBCkgIBxABGAIiQL" + "x" * 300},
            {"type": "text", "text": "I'll look for the upstream and its streaming body."},
            {"type": "tool_use", "id": "toolu_01A1", "name": "Grep",
             "input": {"pattern": "poll_frame", "path": "/home/dev/ccproxy", "output_mode": "files_with_matches"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A1", "content": grep_out},
        ]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_01A2", "name": "Read",
             "input": {"file_path": "/home/dev/ccproxy/bench/src/bin/fixed_upstream.rs"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A2",
             "content": [{"type": "text", "text": read_snapshot()}]},
        ]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me also check how the load client reads the stream."},
            {"type": "tool_use", "id": "toolu_01A4", "name": "Read",
             "input": {"file_path": "/home/dev/ccproxy/bench/src/bin/loadgen.rs", "limit": 400}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A4",
             "content": [{"type": "text", "text": read_snapshot("loadgen.rs", 400)}]},
        ]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "The body re-arms its sleep only after a frame is sent, so it cannot "
             "stall. Let me run the tests to confirm."},
            {"type": "tool_use", "id": "toolu_01A3", "name": "Bash",
             "input": {"command": "cd /home/dev/ccproxy && cargo test --release 2>&1 | tail -50",
                       "description": "Run the test suite in release mode"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A3", "content": bash_out, "is_error": False},
            {"type": "text", "text": "Good. Now add a TodoWrite plan for measuring per-event overhead.",
             "cache_control": {"type": "ephemeral"}},
        ]},
    ]
    return {
        "model": MODEL,
        "max_tokens": 32000,
        "system": [
            {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.",
             "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": SYSTEM_MAIN, "cache_control": {"type": "ephemeral"}},
        ],
        "messages": messages,
        "tools": [{"name": n, "description": desc, "input_schema": sch} for n, desc, sch in TOOLS],
        "tool_choice": {"type": "auto"},
        "metadata": {"user_id": "user_3f1c0a9e8b7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d_account__session_7c2e9a41-5b6d-4f8e-9a1b-2c3d4e5f6a7b"},
        "thinking": {"type": "adaptive"},
        "output_config": {"effort": "high"},
        "temperature": 1,
        "stream": True,
    }


def to_openai(body):
    """Translate an Anthropic request to OpenAI chat/completions, roughly as a proxy would."""
    out = {"model": body["model"], "max_completion_tokens": body["max_tokens"], "messages": []}
    sys_ = body.get("system")
    if sys_:
        text = sys_ if isinstance(sys_, str) else "\n\n".join(b["text"] for b in sys_)
        out["messages"].append({"role": "system", "content": text})
    for m in body["messages"]:
        c = m["content"]
        if isinstance(c, str):
            out["messages"].append({"role": m["role"], "content": c})
            continue
        if m["role"] == "assistant":
            text = "".join(b["text"] for b in c if b["type"] == "text")
            calls = [{"id": b["id"], "type": "function",
                      "function": {"name": b["name"],
                                   "arguments": json.dumps(b["input"], separators=(",", ":"))}}
                     for b in c if b["type"] == "tool_use"]
            msg = {"role": "assistant", "content": text or None}
            if calls:
                msg["tool_calls"] = calls
            out["messages"].append(msg)
            continue
        parts = []
        for b in c:
            if b["type"] == "tool_result":
                content = b["content"]
                if not isinstance(content, str):
                    content = "".join(x["text"] for x in content if x["type"] == "text")
                out["messages"].append({"role": "tool", "tool_call_id": b["tool_use_id"], "content": content})
            elif b["type"] == "text":
                parts.append({"type": "text", "text": b["text"]})
        if parts:
            out["messages"].append({"role": "user", "content": parts})
    if "tools" in body:
        out["tools"] = [{"type": "function", "function": {"name": t["name"], "description": t["description"],
                                                          "parameters": t["input_schema"]}}
                        for t in body["tools"]]
        out["tool_choice"] = "auto"
    if "temperature" in body:
        out["temperature"] = body["temperature"]
    if body.get("thinking", {}).get("type") in ("adaptive", "enabled"):
        out["reasoning_effort"] = body.get("output_config", {}).get("effort", "medium")
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def main():
    for name, body in [("small", small(False)), ("small-stream", small(True)),
                       ("claude-code-50k", claude_code())]:
        dump(f"{name}.json", body)
        dump(f"{name}.openai.json", to_openai(body))
    for f in sorted(os.listdir(HERE)):
        if f.endswith(".json"):
            print(f"{os.path.getsize(os.path.join(HERE, f)):>8}  {f}")


if __name__ == "__main__":
    main()
