//! The rows of the built-in catalog, one per provider, each citing the documentation its
//! values were checked against (details, dates and evidence grades in docs/providers.md;
//! the source of each model's context window and output limit is in its "Model limits"
//! table).
//! Catalog order is also the order used to pick a default provider when several keys are
//! set and `PROVIDER` is not.

use super::{known, CatalogEntry};
use crate::config::ProviderKind;
use crate::translate::compat::Profile;
use crate::translate::quirks::{Effort, MaxTokensField, Quirks, Reasoning};

/// The fields most rows share; each row spells out what differs.
const BASE: CatalogEntry = CatalogEntry {
    name: "",
    kind: ProviderKind::OpenAi,
    base_url: "",
    key_var: "",
    default_model: "",
    key_required: true,
    models: &[],
    quirks: Quirks::generic(),
    profile: Profile::Generic,
};

pub const CATALOG: &[CatalogEntry] = &[
    // console.groq.com/docs/openai (base URL, key); console.groq.com/docs/models (GPT-OSS
    // 120B is a featured production model). Groq retired `moonshotai/kimi-k2-instruct`
    // (docs/providers-research.md, "groq"); Kimi K2 stays reachable through moonshot, openrouter,
    // together and fireworks.
    // Quirks: console.groq.com/docs/openai, groq-python completion_create_params.py:
    // `max_completion_tokens` (max_tokens deprecated), include_usage accepted, up to 4 stop
    // sequences, `user` and `parallel_tool_calls` accepted; gpt-oss `reasoning_effort`
    // low|medium|high; output in `reasoning`.
    CatalogEntry {
        name: "groq",
        base_url: "https://api.groq.com/openai/v1",
        key_var: "GROQ_API_KEY",
        default_model: "openai/gpt-oss-120b",
        models: &[
            known("moonshotai/kimi-k2-instruct", 131_072, Some(16_384)),
            known("moonshotai/kimi-k2-instruct-0905", 262_144, Some(16_384)),
            known("openai/gpt-oss-120b", 131_072, Some(65_536)),
            known("openai/gpt-oss-20b", 131_072, Some(65_536)),
            known("qwen/qwen3.6-27b", 131_072, Some(16_384)),
        ],
        quirks: Quirks {
            max_tokens_field: MaxTokensField::MaxCompletionTokens,
            user: true,
            max_stop_sequences: Some(4),
            reasoning: Reasoning::Effort(Effort::High),
            ..Quirks::generic()
        },
        ..BASE
    },
    // developers.openai.com/api/docs/models: gpt-5.6-terra, 1.05M context, 128K output.
    // Quirks: openai-python src/openai/types/chat/completion_create_params.py and
    // src/openai/types/shared/reasoning_effort.py: gpt-5 / o-series reject `max_tokens` ("Use 'max_completion_tokens'"); stop ≤ 4;
    // `reasoning_effort` up to xhigh (per model: `Quirks::for_model`); `file` parts take base64 PDFs; `prompt_cache_key`
    // (completion_create_params.py: "used by OpenAI to cache responses for similar requests").
    CatalogEntry {
        name: "openai",
        base_url: "https://api.openai.com/v1",
        key_var: "OPENAI_API_KEY",
        default_model: "gpt-5.6-terra",
        models: &[
            known("gpt-4.1", 1_047_576, Some(32_768)),
            known("gpt-4.1-mini", 1_047_576, Some(32_768)),
            known("gpt-5.6-terra", 1_050_000, Some(128_000)),
            known("gpt-5.6-luna", 1_050_000, Some(128_000)),
        ],
        quirks: Quirks {
            max_tokens_field: MaxTokensField::MaxCompletionTokens,
            user: true,
            prompt_cache_key: true,
            max_stop_sequences: Some(4),
            pdf_files: true,
            reasoning: Reasoning::Effort(Effort::XHigh),
            ..Quirks::generic()
        },
        ..BASE
    },
    // OpenAI's Responses API (platform.openai.com/docs/api-reference/responses), with
    // OpenAI's key. gpt-5.3-codex: the newest Codex model, served on /v1/responses only
    // (OpenAI's answer to a Codex model on /chat/completions: "This model is only supported
    // in v1/responses"; openai-cookbook examples/gpt-5-codex_prompting_guide.ipynb: "only
    // supported with the Responses API"); 400K context, 128K output.
    CatalogEntry {
        name: "openai-responses",
        kind: ProviderKind::Responses,
        base_url: "https://api.openai.com/v1",
        key_var: "OPENAI_API_KEY",
        default_model: "gpt-5.3-codex",
        models: &[
            known("gpt-5.3-codex", 400_000, Some(128_000)),
            known("gpt-5.2-codex", 400_000, Some(128_000)),
            known("gpt-5.1-codex-max", 400_000, Some(128_000)),
            known("gpt-5-codex", 400_000, Some(128_000)),
        ],
        ..BASE
    },
    // openrouter.ai/docs (API reference, models): OpenAI-compatible under /api/v1.
    // Quirks: openrouter.ai/docs/use-cases/usage-accounting: usage is always in the last
    // chunk (include_usage is a no-op); reasoning-tokens doc: `reasoning: {effort |
    // max_tokens}`; unsupported parameters are ignored, `top_k` passes through; PDFs via
    // `file` parts (openrouter.ai/docs/features/multimodal/pdfs); `prompt_cache_key` is
    // passed on to the providers that take it (OpenAI's models) and ignored by the rest.
    CatalogEntry {
        name: "openrouter",
        base_url: "https://openrouter.ai/api/v1",
        key_var: "OPENROUTER_API_KEY",
        default_model: "moonshotai/kimi-k2.6",
        models: &[known("moonshotai/kimi-k2.6", 262_144, None)],
        quirks: Quirks {
            stream_usage: false,
            user: true,
            prompt_cache_key: true,
            top_k: true,
            pdf_files: true,
            reasoning: Reasoning::OpenRouter,
            ..Quirks::generic()
        },
        profile: Profile::OpenRouter,
        ..BASE
    },
    // api-docs.deepseek.com (pricing, thinking_mode): no /v1 in the base URL;
    // deepseek-chat and deepseek-reasoner were retired 2026-07-24.
    // Quirks: api-docs.deepseek.com/guides/thinking_mode: `max_tokens`, thinking on/off via
    // `thinking.type`, effort low|high|max, `reasoning_content` must be replayed on
    // tool-call turns (400 otherwise); up to 16 stop sequences.
    CatalogEntry {
        name: "deepseek",
        base_url: "https://api.deepseek.com",
        key_var: "DEEPSEEK_API_KEY",
        default_model: "deepseek-v4-pro",
        models: &[
            known("deepseek-chat", 128_000, Some(8_192)),
            known("deepseek-v4-pro", 1_000_000, Some(384_000)),
        ],
        quirks: Quirks {
            parallel_tool_calls: false,
            max_stop_sequences: Some(16),
            reasoning: Reasoning::DeepSeek,
            replay_reasoning_content: true,
            ..Quirks::generic()
        },
        profile: Profile::DeepSeek,
        ..BASE
    },
    // docs.mistral.ai (client-python models): mistral-medium-latest → mistral-medium-2508.
    // Quirks: mistralai/client-python models: strict schema (422 `extra_forbidden`) — only
    // `max_tokens`, no `stream_options`, no `user`; `reasoning_effort` up to xhigh. Tool-call
    // ids must match ^[a-zA-Z0-9]{9}$ (error 3280) and a user message right after a tool
    // message is refused (error 3230), per the reports in docs/providers-research.md ("mistral");
    // `prompt_cache_key` (docs.mistral.ai, "Prompt caching").
    CatalogEntry {
        name: "mistral",
        base_url: "https://api.mistral.ai/v1",
        key_var: "MISTRAL_API_KEY",
        default_model: "mistral-medium-latest",
        models: &[known("mistral-medium-latest", 128_000, None)],
        quirks: Quirks {
            stream_usage: false,
            prompt_cache_key: true,
            reasoning: Reasoning::Effort(Effort::XHigh),
            nine_character_tool_ids: true,
            assistant_between_tool_and_user: true,
            ..Quirks::generic()
        },
        ..BASE
    },
    // docs.x.ai (migration guide: grok-4-0709 and grok-3 retired 2026-05-15); grok-4.3.
    // Quirks: docs.x.ai (via docs/providers-research.md, "xai"): `max_completion_tokens`;
    // grok-4.x `reasoning_effort` none|low|medium|high.
    CatalogEntry {
        name: "xai",
        base_url: "https://api.x.ai/v1",
        key_var: "XAI_API_KEY",
        default_model: "grok-4.3",
        models: &[known("grok-4.3", 1_000_000, Some(30_000))],
        quirks: Quirks {
            max_tokens_field: MaxTokensField::MaxCompletionTokens,
            reasoning: Reasoning::Effort(Effort::High),
            ..Quirks::generic()
        },
        ..BASE
    },
    // ai.google.dev/api/generate-content and /gemini-api/docs/models: native
    // generateContent; gemini-3.8-flash, 1,048,576 in / 65,536 out; 2.5 shut down 2026-06-17.
    CatalogEntry {
        name: "gemini",
        kind: ProviderKind::Gemini,
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        key_var: "GEMINI_API_KEY",
        default_model: "gemini-3.8-flash",
        models: &[
            known("gemini-2.5-flash", 1_048_576, Some(65_536)),
            known("gemini-3.8-flash", 1_048_576, Some(65_536)),
            known("gemini-3.5-flash", 1_048_576, Some(65_536)),
            known("gemini-3.1-flash-lite", 1_048_576, Some(65_536)),
        ],
        ..BASE
    },
    // platform.claude.com/docs/en/api/messages and /docs/en/about-claude/models: pass-through,
    // untouched whatever the base URL (a gateway in front of Anthropic stays Anthropic).
    CatalogEntry {
        name: "anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.anthropic.com",
        key_var: "ANTHROPIC_API_KEY",
        default_model: "claude-sonnet-5-5",
        models: &[
            known("claude-sonnet-5-5", 1_000_000, Some(128_000)),
            known("claude-haiku-5-5", 1_000_000, Some(128_000)),
        ],
        profile: Profile::Anthropic,
        ..BASE
    },
    // inference-docs.cerebras.ai/resources/openai: OpenAI-compatible; gpt-oss-120b.
    CatalogEntry {
        name: "cerebras",
        base_url: "https://api.cerebras.ai/v1",
        key_var: "CEREBRAS_API_KEY",
        default_model: "gpt-oss-120b",
        models: &[known("gpt-oss-120b", 131_072, Some(40_960))],
        ..BASE
    },
    // docs.together.ai/docs/openai-api-compatibility: api.together.ai/v1 (the legacy
    // api.together.xyz still answers).
    CatalogEntry {
        name: "together",
        base_url: "https://api.together.ai/v1",
        key_var: "TOGETHER_API_KEY",
        default_model: "moonshotai/Kimi-K2.6",
        models: &[known("moonshotai/Kimi-K2.6", 262_144, Some(131_000))],
        ..BASE
    },
    // docs.fireworks.ai (OpenAI compatibility): /inference/v1; model ids are account paths.
    CatalogEntry {
        name: "fireworks",
        base_url: "https://api.fireworks.ai/inference/v1",
        key_var: "FIREWORKS_API_KEY",
        default_model: "accounts/fireworks/models/kimi-k2p6",
        models: &[
            known("accounts/fireworks/models/kimi-k2p6", 262_144, None),
            known(
                "accounts/fireworks/models/gpt-oss-20b",
                131_072,
                Some(32_768),
            ),
        ],
        ..BASE
    },
    // platform.moonshot.ai/docs (API reference): api.moonshot.ai/v1 (China: .cn).
    CatalogEntry {
        name: "moonshot",
        base_url: "https://api.moonshot.ai/v1",
        key_var: "MOONSHOT_API_KEY",
        default_model: "kimi-k2.6",
        models: &[known("kimi-k2.6", 262_144, None)],
        profile: Profile::Kimi,
        ..BASE
    },
    // github ollama/ollama docs/api/openai-compatibility.mdx: /v1, key ignored. No model is
    // built into Ollama; this is a suggestion to `ollama pull`.
    // Quirks: ollama docs/api/openai-compatibility.mdx, openai/openai.go: `max_tokens` only
    // (the other is silently ignored), include_usage supported, `user` unsupported,
    // `reasoning_effort` none|low|medium|high|max.
    CatalogEntry {
        name: "ollama",
        base_url: "http://localhost:11434/v1",
        key_var: "OLLAMA_API_KEY",
        default_model: "gpt-oss:20b",
        key_required: false,
        quirks: Quirks {
            reasoning: Reasoning::Effort(Effort::Max),
            ..Quirks::generic()
        },
        ..BASE
    },
    // Anthropic-compatible endpoints of other hosts, passed through with each host's
    // compatibility profile (translate::compat; the rules and their sources are in
    // docs/providers.md). They share their host's key variable.
    //
    // api-docs.deepseek.com/guides/anthropic_api: base URL api.deepseek.com/anthropic, key as
    // x-api-key; anthropic-beta, container and mcp_servers ignored.
    CatalogEntry {
        name: "deepseek-anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.deepseek.com/anthropic",
        key_var: "DEEPSEEK_API_KEY",
        default_model: "deepseek-v4-pro",
        models: &[known("deepseek-v4-pro", 1_000_000, Some(384_000))],
        profile: Profile::DeepSeek,
        ..BASE
    },
    // platform.moonshot.ai Claude Code guide (as quoted by kimi-k25.com and others, 3P):
    // api.moonshot.ai/anthropic (China: api.moonshot.cn/anthropic), key as
    // ANTHROPIC_AUTH_TOKEN (a bearer token).
    CatalogEntry {
        name: "moonshot-anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.moonshot.ai/anthropic",
        key_var: "MOONSHOT_API_KEY",
        default_model: "kimi-k2.6",
        models: &[known("kimi-k2.6", 262_144, None)],
        profile: Profile::Kimi,
        ..BASE
    },
    // docs.z.ai Claude Code guide (3P copies): api.z.ai/api/anthropic (China:
    // open.bigmodel.cn/api/anthropic), key as ANTHROPIC_AUTH_TOKEN; GLM-5.x always thinks.
    CatalogEntry {
        name: "zhipu-anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.z.ai/api/anthropic",
        key_var: "ZHIPU_API_KEY",
        default_model: "glm-5.1",
        models: &[known("glm-5.1", 200_000, Some(128_000))],
        profile: Profile::Glm,
        ..BASE
    },
    // platform.minimax.io/docs/api-reference/text-anthropic-api: api.minimax.io/anthropic
    // (China: api.minimaxi.com/anthropic); MiniMax-M3; text and tool calls, no image or
    // document input; top_k and stop_sequences ignored.
    CatalogEntry {
        name: "minimax-anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://api.minimax.io/anthropic",
        key_var: "MINIMAX_API_KEY",
        default_model: "MiniMax-M3",
        models: &[known("MiniMax-M3", 1_000_000, None)],
        profile: Profile::MiniMax,
        ..BASE
    },
    // alibabacloud.com/help/doc-detail/2980295.html (Model Studio, Anthropic API
    // compatibility): dashscope-intl.aliyuncs.com/apps/anthropic (China:
    // dashscope.aliyuncs.com/apps/anthropic), key as x-api-key; Qwen-Coder takes no thinking.
    CatalogEntry {
        name: "qwen-anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://dashscope-intl.aliyuncs.com/apps/anthropic",
        key_var: "DASHSCOPE_API_KEY",
        default_model: "qwen3-max",
        models: &[known("qwen3-max", 262_144, Some(65_536))],
        profile: Profile::Qwen,
        ..BASE
    },
    // openrouter.ai Claude Code integration guide (3P copies): ANTHROPIC_BASE_URL
    // https://openrouter.ai/api, key as ANTHROPIC_AUTH_TOKEN (a bearer token).
    CatalogEntry {
        name: "openrouter-anthropic",
        kind: ProviderKind::Anthropic,
        base_url: "https://openrouter.ai/api",
        key_var: "OPENROUTER_API_KEY",
        default_model: "moonshotai/kimi-k2.6",
        models: &[known("moonshotai/kimi-k2.6", 262_144, None)],
        profile: Profile::OpenRouter,
        ..BASE
    },
];
