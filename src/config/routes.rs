//! The routes: their names ([`RouteName`], the one spelling of each, used by the config
//! file, `config show`, `GET /v1/models`, the router and the reports) and their targets
//! ([`Routes`], one [`RouteTable`] shape shared with the file's raw routes).

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

/// The shape of the config's `routes` section: one `T` per route and the long-context
/// threshold `N`. The validated [`Routes`], the file's raw routes and the file that
/// `config import-ccr` writes are this one type, so a route is added here alone: a field,
/// and its row in [`RouteTable::get`] and [`RouteTable::get_mut`]. Fields are in the order
/// the README documents them; an unset one (`None`) is not written, an unknown key is refused.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "T: Serialize + Unset, N: Serialize + Unset")
)]
pub struct RouteTable<T, N> {
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub default: T,
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub background: T,
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub think: T,
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub long_context: T,
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub long_context_threshold: N,
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub web_search: T,
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub image: T,
}

impl<T, N> RouteTable<T, N> {
    /// Route `name`'s value.
    pub fn get(&self, name: RouteName) -> &T {
        match name {
            RouteName::Default => &self.default,
            RouteName::Background => &self.background,
            RouteName::Think => &self.think,
            RouteName::LongContext => &self.long_context,
            RouteName::WebSearch => &self.web_search,
            RouteName::Image => &self.image,
        }
    }

    pub fn get_mut(&mut self, name: RouteName) -> &mut T {
        match name {
            RouteName::Default => &mut self.default,
            RouteName::Background => &mut self.background,
            RouteName::Think => &mut self.think,
            RouteName::LongContext => &mut self.long_context,
            RouteName::WebSearch => &mut self.web_search,
            RouteName::Image => &mut self.image,
        }
    }
}

/// A value a written [`RouteTable`] leaves out.
pub trait Unset {
    fn is_unset(&self) -> bool;
}

impl<T> Unset for Option<T> {
    fn is_unset(&self) -> bool {
        self.is_none()
    }
}

/// The routes of the config. Each is a list of targets: the first is used, the rest are
/// fallbacks. An empty list means the route is not configured.
pub type Routes = RouteTable<Vec<Target>, u64>;

impl Routes {
    /// The configured routes (those with at least one target), in [`RouteName::ALL`] order.
    pub fn configured(&self) -> impl Iterator<Item = (RouteName, &[Target])> {
        RouteName::ALL
            .into_iter()
            .map(|name| (name, self.get(name).as_slice()))
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

    #[test]
    fn a_table_reads_what_it_writes_and_leaves_unset_routes_out() {
        type Written = RouteTable<Option<String>, Option<u64>>;
        let text = serde_json::json!({"think": "p,m", "long_context_threshold": 9});
        let table: Written = serde_json::from_value(text.clone()).expect("routes");
        assert_eq!(table.get(RouteName::Think).as_deref(), Some("p,m"));
        assert_eq!(table.get(RouteName::Default), &None);
        assert_eq!(serde_json::to_value(&table).ok(), Some(text));
        let mut table = Written::default();
        *table.get_mut(RouteName::WebSearch) = Some("q,n".into());
        assert_eq!(table.web_search.as_deref(), Some("q,n"));
        let unknown = serde_json::from_value::<Written>(serde_json::json!({"thnik": "p,m"}));
        assert!(unknown.is_err());
    }
}
