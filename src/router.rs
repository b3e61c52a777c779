//! Routing: which targets (provider, model) serve a request, and which rule chose them.
//! Pure: reads the configuration and the request, never does I/O.

use crate::config::{Config, Target};
use crate::error::ProxyError;
use crate::wire::anthropic;

/// The rule that chose the targets; reported in a response header and the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `model` was `"provider,model"`.
    Explicit,
    /// Nothing more specific matched.
    Default,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Explicit => "explicit",
            Self::Default => "default",
        }
    }
}

/// Where a request goes: the first target, then the fallbacks in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub rule: Rule,
    pub targets: Vec<Target>,
}

pub fn route(
    config: &Config,
    request: &anthropic::MessagesRequest,
) -> Result<Decision, ProxyError> {
    if let Some(target) = Target::parse(&request.model) {
        if config.provider(&target.provider).is_none() {
            return Err(ProxyError::UnknownProvider {
                provider: target.provider,
                model: request.model.clone(),
                available: config.provider_names(),
            });
        }
        return Ok(Decision {
            rule: Rule::Explicit,
            targets: vec![target],
        });
    }
    if config.routes.default.is_empty() {
        return Err(ProxyError::Internal {
            message: "no default route is configured".into(),
        });
    }
    Ok(Decision {
        rule: Rule::Default,
        targets: config.routes.default.clone(),
    })
}
