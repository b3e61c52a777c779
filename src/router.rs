//! Routing: which targets (provider, model) serve a request, and which rule chose them.
//! Nine rules in order, the first that matches wins; a rule whose route is not configured
//! (or whose providers are all disabled) falls through to the next:
//!
//! 1. `model` is `"provider,model"`, a route name such as `"think"`, or the `claude-…` id
//!    `GET /v1/models` lists for a target or route (`config::gateway_ids`) → that target;
//! 2. `model` is listed in a provider's `models` → that provider;
//! 3. a `<CCR-SUBAGENT-MODEL>provider,model</CCR-SUBAGENT-MODEL>` tag in any system block or
//!    role-`system` message → that target (the tag is always removed from the request);
//! 4. input above `long_context_threshold` tokens → `long_context` (measured only when that
//!    route is configured, see [`tokens::measure`]; when the byte bound cannot decide, the
//!    caller passes the exact count, see [`needs_exact_count`]);
//! 5. a Haiku-class model, or Claude Code's title side task → `background`;
//! 6. a `web_search_*` server tool → `web_search`;
//! 7. `thinking.type == "enabled"` with a budget → `think`;
//! 8. an image in the latest user turn → `image`;
//! 9. `default`.
//!
//! Pure and cheap: reads the configuration and the request (and edits out the tag), never
//! does I/O and never tokenises.

use std::borrow::Cow;

use crate::config::gateway_ids::{self, GatewayId};
use crate::config::{Config, ProviderConfig, RouteName, Target};
use crate::error::ProxyError;
use crate::tokens;
use crate::wire::anthropic::{
    ContentBlock, MessageContent, MessagesRequest, Role, SystemPrompt, Thinking, ToolResultContent,
};

const TAG_OPEN: &str = "<CCR-SUBAGENT-MODEL>";
/// The end of a sub-agent tag (the pass-through looks for it to know routing edited texts).
pub const TAG_CLOSE: &str = "</CCR-SUBAGENT-MODEL>";

/// The rule that chose the targets; reported in `x-ccproxy-route` and the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// 1: `model` was `"provider,model"`, a route name, or a gateway id naming either.
    Explicit,
    /// 2: a provider lists `model`.
    ProviderModel,
    /// 3: a sub-agent tag named the target.
    Subagent,
    /// 4: the input is above the long-context threshold.
    LongContext,
    /// 5: a Haiku-class model or a background side task.
    Background,
    /// 6: a web-search server tool.
    WebSearch,
    /// 7: explicit thinking.
    Think,
    /// 8: an image in the latest user turn.
    Image,
    /// 9: nothing more specific matched.
    Default,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Explicit => "explicit",
            Self::ProviderModel => "provider_model",
            Self::Subagent => "subagent",
            Self::LongContext => RouteName::LongContext.as_str(),
            Self::Background => RouteName::Background.as_str(),
            Self::WebSearch => RouteName::WebSearch.as_str(),
            Self::Think => RouteName::Think.as_str(),
            Self::Image => RouteName::Image.as_str(),
            Self::Default => RouteName::Default.as_str(),
        }
    }
}

/// Where a request goes: the first target, then the fallbacks in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub rule: Rule,
    pub targets: Vec<Target>,
    /// Why the rule matched, for the debug log.
    pub why: Cow<'static, str>,
    /// Rules whose condition held but whose route is not configured or has no enabled
    /// provider: the answer to "why did my think route not fire?".
    pub passed: Vec<Rule>,
    /// The input size, when rule 4 had to measure it.
    pub size: Option<tokens::Size>,
}

impl Decision {
    /// One line for the debug log.
    pub fn explain(&self) -> String {
        let targets: Vec<String> = self.targets.iter().map(ToString::to_string).collect();
        let mut line = format!(
            "route {}: {} → {}",
            self.rule.as_str(),
            self.why,
            targets.join(" then ")
        );
        if !self.passed.is_empty() {
            let passed: Vec<&str> = self.passed.iter().map(|r| r.as_str()).collect();
            line.push_str(&format!(
                " (matched but not configured or disabled: {})",
                passed.join(", ")
            ));
        }
        line
    }
}

/// Does routing `request` need its exact token count? True when rule 4 would be reached
/// (no explicit target, no provider listing the model) and the byte bound cannot tell
/// whether the input is above the threshold. The caller then counts ([`tokens::count`],
/// off the async workers) and passes the count to [`route`].
pub fn needs_exact_count(config: &Config, request: &MessagesRequest) -> bool {
    let routes = &config.routes;
    !enabled(config, &routes.long_context).is_empty()
        && matches!(explicit(config, &request.model), Ok(None))
        && listing(config, &request.model).is_none()
        && tokens::measure(request, routes.long_context_threshold, None).is_none()
}

/// Chooses the targets for `request`, removing any sub-agent tag from it first.
/// `exact_tokens` is the request's exact count when [`needs_exact_count`] asked for it;
/// without it, an input the byte bound cannot place is taken as below the threshold.
pub fn route(
    config: &Config,
    request: &mut MessagesRequest,
    exact_tokens: Option<u64>,
) -> Result<Decision, ProxyError> {
    let tag = take_subagent_tag(request);
    if let Some(decision) = explicit(config, &request.model)? {
        return Ok(decision);
    }
    if let Some(provider) = listing(config, &request.model) {
        let why = format!("provider '{}' lists this model", provider.name);
        let target = Target {
            provider: provider.name.clone(),
            model: request.model.clone(),
        };
        return Ok(decided(Rule::ProviderModel, vec![target], why.into()));
    }
    let mut passed = Vec::new();
    if let Some(text) = tag {
        match Target::parse(&text) {
            Some(target) => {
                let target = enabled_target(config, target, &text)?;
                let why = "a sub-agent tag in the system prompt".into();
                return Ok(decided(Rule::Subagent, vec![target], why));
            }
            None => passed.push(Rule::Subagent),
        }
    }
    let (rule, targets, why, size) = match rules(config, request, exact_tokens, &mut passed) {
        Some(chosen) => chosen,
        None => {
            let targets = enabled(config, &config.routes.default);
            if targets.is_empty() {
                return Err(no_default(config));
            }
            (Rule::Default, targets, "no other rule matched".into(), None)
        }
    };
    Ok(Decision {
        rule,
        targets: with_client_model(targets, &request.model),
        why,
        passed,
        size,
    })
}

/// Targets whose model is [`Target::CLIENT_MODEL`] take the request's own model.
fn with_client_model(mut targets: Vec<Target>, model: &str) -> Vec<Target> {
    for target in &mut targets {
        if target.model == Target::CLIENT_MODEL {
            target.model = model.to_string();
        }
    }
    targets
}

/// Why a rule matched.
type Why = Cow<'static, str>;
type Chosen = (Rule, Vec<Target>, Why, Option<tokens::Size>);

/// Rule 2: the enabled provider that lists `model`; the default route's provider when it is
/// one of several (two endpoints of one host, `deepseek` and `deepseek-anthropic`, list the
/// same models).
fn listing<'a>(config: &'a Config, model: &str) -> Option<&'a ProviderConfig> {
    let lists = |p: &&ProviderConfig| p.enabled && p.model(model).is_some();
    let default = config.routes.default.first().map(|t| t.provider.as_str());
    let mut listing = config.providers.iter().filter(lists);
    let first = listing.next()?;
    Some(
        std::iter::once(first)
            .chain(listing)
            .find(|p| Some(p.name.as_str()) == default)
            .unwrap_or(first),
    )
}

/// Rules 4–8, in order; `None` when none applies.
fn rules(
    config: &Config,
    request: &MessagesRequest,
    exact_tokens: Option<u64>,
    passed: &mut Vec<Rule>,
) -> Option<Chosen> {
    let routes = &config.routes;
    let long_context = enabled(config, routes.get(RouteName::LongContext));
    if !long_context.is_empty() {
        let threshold = routes.long_context_threshold;
        if let Some((true, size)) = tokens::measure(request, threshold, exact_tokens) {
            let why = format!("input of {size} tokens is above {threshold}");
            return Some((Rule::LongContext, long_context, why.into(), Some(size)));
        }
    }
    let checks: [(Rule, &[Target], Option<Why>); 4] = [
        (
            Rule::Background,
            routes.get(RouteName::Background),
            background(request),
        ),
        (
            Rule::WebSearch,
            routes.get(RouteName::WebSearch),
            web_search(request),
        ),
        (Rule::Think, routes.get(RouteName::Think), think(request)),
        (Rule::Image, routes.get(RouteName::Image), image(request)),
    ];
    for (rule, route, why) in checks {
        let Some(why) = why else { continue };
        let targets = enabled(config, route);
        if targets.is_empty() {
            passed.push(rule);
            continue;
        }
        return Some((rule, targets, why, None));
    }
    None
}

fn decided(rule: Rule, targets: Vec<Target>, why: Why) -> Decision {
    Decision {
        rule,
        targets,
        why,
        passed: Vec::new(),
        size: None,
    }
}

/// Rule 1: `"provider,model"`, the name of a configured route, or the gateway id of either
/// (a gateway id whose provider is not configured is left to the other rules).
fn explicit(config: &Config, model: &str) -> Result<Option<Decision>, ProxyError> {
    if let Some(target) = Target::parse(model) {
        let target = enabled_target(config, target, model)?;
        let why = "the model names provider,model".into();
        return Ok(Some(decided(Rule::Explicit, vec![target], why)));
    }
    let route = match gateway_ids::parse(model) {
        Some(GatewayId::Target(target)) if config.provider(&target.provider).is_some() => {
            let target = enabled_target(config, target, model)?;
            let why = format!("the model is the gateway id of {target}").into();
            return Ok(Some(decided(Rule::Explicit, vec![target], why)));
        }
        Some(GatewayId::Route(route)) => Some(route),
        _ => RouteName::parse(model),
    };
    let targets = route
        .map(|name| enabled(config, config.routes.get(name)))
        .unwrap_or_default();
    Ok((!targets.is_empty()).then(|| {
        let why = format!(
            "the model names the route '{}'",
            route.map_or("", RouteName::as_str)
        );
        decided(Rule::Explicit, targets, why.into())
    }))
}

/// A target the client named: its provider must exist (else a 400 listing the providers)
/// and be enabled (else a 503 saying how to enable it). Provider names are lowercase, and
/// a client's may be in any case (`OpenRouter,...` from a claude-code-router set-up).
fn enabled_target(config: &Config, mut target: Target, named: &str) -> Result<Target, ProxyError> {
    target.provider.make_ascii_lowercase();
    match config.provider(&target.provider) {
        None => Err(ProxyError::UnknownProvider {
            provider: target.provider,
            model: named.to_string(),
            available: config.provider_names(),
        }),
        Some(provider) if !provider.enabled => Err(disabled(&provider.name)),
        Some(_) => Ok(target),
    }
}

fn disabled(provider: &str) -> ProxyError {
    ProxyError::ProviderUnavailable {
        provider: provider.to_string(),
        reason: format!(
            "it is disabled in the configuration (enable it with \
             PATCH /providers/{provider}/toggle or \"enabled\": true)"
        ),
        retry_after: None,
    }
}

fn no_default(config: &Config) -> ProxyError {
    match config.routes.default.first() {
        Some(target) => disabled(&target.provider),
        None => ProxyError::Misconfigured {
            setting: "routes.default".into(),
            problem: "no default route is configured".into(),
        },
    }
}

/// The route's targets whose provider is enabled, in order.
fn enabled(config: &Config, route: &[Target]) -> Vec<Target> {
    route
        .iter()
        .filter(|t| config.provider(&t.provider).is_some_and(|p| p.enabled))
        .cloned()
        .collect()
}

/// Rule 5. Any model id containing "haiku" (present and future names). Claude Code's
/// session-title side task uses the main model, so it is recognised by its shape instead
/// (README, "The title side task"): no tools, thinking disabled, and a `json_schema` output format.
/// A user's own structured-output call with thinking explicitly disabled looks the same;
/// both are short, cheap jobs, which is what the background route is for.
fn background(request: &MessagesRequest) -> Option<Why> {
    if contains_ignore_case(&request.model, "haiku") {
        return Some("a Haiku-class model".into());
    }
    let json_schema = request
        .output_config
        .as_ref()
        .and_then(|o| o.format.as_ref())
        .is_some_and(|f| f.get("type").and_then(|t| t.as_str()) == Some("json_schema"));
    let side_task =
        request.tools.is_empty() && request.thinking == Some(Thinking::Disabled) && json_schema;
    side_task.then_some("a side task (no tools, no thinking, JSON-schema output)".into())
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Rule 6.
fn web_search(request: &MessagesRequest) -> Option<Why> {
    request
        .tools
        .iter()
        .any(|t| {
            t.kind
                .as_deref()
                .is_some_and(|k| k.starts_with("web_search"))
        })
        .then_some("a web_search server tool".into())
}

/// Rule 7: only `enabled` with a budget is an explicit request to think (`adaptive` is
/// Claude Code's default on every turn).
fn think(request: &MessagesRequest) -> Option<Why> {
    match request.thinking {
        Some(Thinking::Enabled { budget_tokens }) if budget_tokens > 0 => {
            Some(format!("thinking enabled with a budget of {budget_tokens}").into())
        }
        _ => None,
    }
}

/// Rule 8: an image in the latest user turn, including inside its tool results (Claude
/// Code's Read tool returns screenshots that way).
fn image(request: &MessagesRequest) -> Option<Why> {
    let latest = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)?;
    let MessageContent::Blocks(blocks) = &latest.content else {
        return None;
    };
    let has_image = blocks.iter().any(|block| match block {
        ContentBlock::Image { .. } => true,
        ContentBlock::ToolResult {
            content: Some(ToolResultContent::Blocks(inner)),
            ..
        } => inner
            .iter()
            .any(|b| matches!(b, ContentBlock::Image { .. })),
        _ => false,
    });
    has_image.then_some("an image in the latest user turn".into())
}

/// Removes every sub-agent tag from the system prompt and role-`system` messages, wherever
/// Claude Code put it (the system prompt, or a role-`system` message of a turn), and returns the first tag's content.
pub fn take_subagent_tag(request: &mut MessagesRequest) -> Option<String> {
    let mut found = None;
    let mut visit = |text: &mut String| {
        if text.contains(TAG_OPEN) {
            let content = strip_tags(text);
            found = found.take().or(content);
        }
    };
    match &mut request.system {
        Some(SystemPrompt::Text(text)) => visit(text),
        Some(SystemPrompt::Blocks(blocks)) => blocks.iter_mut().for_each(|b| visit(&mut b.text)),
        None => {}
    }
    for message in request
        .messages
        .iter_mut()
        .filter(|m| m.role == Role::System)
    {
        match &mut message.content {
            MessageContent::Text(text) => visit(text),
            MessageContent::Blocks(blocks) => {
                for block in blocks {
                    if let ContentBlock::Text { text, .. } = block {
                        visit(text);
                    }
                }
            }
        }
    }
    found
}

/// Cuts every `<CCR-SUBAGENT-MODEL>…</CCR-SUBAGENT-MODEL>` out of `text`; returns the first
/// one's trimmed content.
fn strip_tags(text: &mut String) -> Option<String> {
    let mut first = None;
    while let Some(start) = text.find(TAG_OPEN) {
        let inner_start = start + TAG_OPEN.len();
        let Some(length) = text[inner_start..].find(TAG_CLOSE) else {
            break;
        };
        let inner_end = inner_start + length;
        if first.is_none() {
            first = Some(text[inner_start..inner_end].trim().to_string());
        }
        text.replace_range(start..inner_end + TAG_CLOSE.len(), "");
    }
    first
}

#[cfg(test)]
mod tests;
