//! The routes: their names ([`RouteName`], the one spelling of each, used by the config
//! file, `config show`, `GET /v1/models`, the router and the reports) and their targets
//! ([`Routes`]).

use serde::{Deserialize, Serialize};

use super::Target;

/// A route's name, as the config file and `GET /v1/models` spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteName {
    Default,
    Background,
    Think,
    LongContext,
    WebSearch,
    Image,
}

impl RouteName {
    /// Every route, in the order the config file documents them.
    pub const ALL: [Self; 6] = [
        Self::Default,
        Self::Background,
        Self::Think,
        Self::LongContext,
        Self::WebSearch,
        Self::Image,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Background => "background",
            Self::Think => "think",
            Self::LongContext => "long_context",
            Self::WebSearch => "web_search",
            Self::Image => "image",
        }
    }

    /// The route called `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.as_str() == name)
    }
}

impl std::fmt::Display for RouteName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The routes of the config. Each is a list of targets: the first is used, the rest are
/// fallbacks. An empty list means the route is not configured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Routes {
    pub default: Vec<Target>,
    pub background: Vec<Target>,
    pub think: Vec<Target>,
    pub long_context: Vec<Target>,
    pub web_search: Vec<Target>,
    pub image: Vec<Target>,
    pub long_context_threshold: u64,
}

impl Routes {
    /// The targets of route `name` (empty when it is not configured).
    pub fn get(&self, name: RouteName) -> &[Target] {
        match name {
            RouteName::Default => &self.default,
            RouteName::Background => &self.background,
            RouteName::Think => &self.think,
            RouteName::LongContext => &self.long_context,
            RouteName::WebSearch => &self.web_search,
            RouteName::Image => &self.image,
        }
    }

    pub fn get_mut(&mut self, name: RouteName) -> &mut Vec<Target> {
        match name {
            RouteName::Default => &mut self.default,
            RouteName::Background => &mut self.background,
            RouteName::Think => &mut self.think,
            RouteName::LongContext => &mut self.long_context,
            RouteName::WebSearch => &mut self.web_search,
            RouteName::Image => &mut self.image,
        }
    }

    /// The configured routes (those with at least one target), in [`RouteName::ALL`] order.
    pub fn configured(&self) -> impl Iterator<Item = (RouteName, &[Target])> {
        RouteName::ALL
            .into_iter()
            .map(|name| (name, self.get(name)))
            .filter(|(_, targets)| !targets.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_and_serializes_as_written() {
        for name in RouteName::ALL {
            assert_eq!(RouteName::parse(name.as_str()), Some(name));
            assert_eq!(serde_json::to_value(name).ok(), Some(name.as_str().into()));
        }
        assert_eq!(RouteName::parse("longContext"), None);
    }
}
