//! Spend limits: which apply to a key (its own, its group's, the organization's), the
//! counters a request's cost is added to, and the wire shape of Anthropic's Admin API
//! spend-limit objects (amounts in cents, as strings).

use std::time::Duration;

use serde_json::{json, Value};

use super::clock;
use crate::error::ProxyError;
use crate::store::{Cap, KeyRecord, Period, Scope, SpendLimit};

/// Millionths of a dollar in a cent.
pub const MICROS_PER_CENT: u64 = 10_000;
/// Spend counters outlive their period by this much (seconds).
const COUNTER_GRACE: u64 = 3600;

/// The name of a scope in counter names: `org`, `user:NAME`, `group:NAME`.
fn scope_key(scope: &Scope) -> String {
    match scope {
        Scope::Organization => "org".into(),
        Scope::User { user_id } => format!("user:{user_id}"),
        Scope::RbacGroup { rbac_group_id } => format!("group:{rbac_group_id}"),
    }
}

/// How a refusal names a scope.
fn describe(scope: &Scope) -> String {
    match scope {
        Scope::Organization => "the organization".into(),
        Scope::User { user_id } => format!("key '{user_id}'"),
        Scope::RbacGroup { rbac_group_id } => format!("group '{rbac_group_id}'"),
    }
}

fn counter(scope: &Scope, period: Period, now: u64) -> String {
    format!(
        "spend:{}:{}",
        scope_key(scope),
        clock::period(period, now).0
    )
}

/// The scopes a key's spending counts against.
fn scopes(key: &KeyRecord) -> Vec<Scope> {
    let mut scopes = vec![
        Scope::User {
            user_id: key.name.clone(),
        },
        Scope::Organization,
    ];
    if let Some(group) = &key.group {
        scopes.push(Scope::RbacGroup {
            rbac_group_id: group.clone(),
        });
    }
    scopes
}

/// The limits that apply to `key`, each with the counter it caps now.
pub fn caps<'l>(key: &KeyRecord, limits: &'l [SpendLimit], now: u64) -> Vec<(&'l SpendLimit, Cap)> {
    let scopes = scopes(key);
    limits
        .iter()
        .filter(|limit| scopes.contains(&limit.scope))
        .map(|limit| {
            let cap = Cap {
                counter: counter(&limit.scope, limit.period, now),
                micros: limit.amount_cents.saturating_mul(MICROS_PER_CENT),
            };
            (limit, cap)
        })
        .collect()
}

/// Every counter a request of `key` adds its cost to, with how long each must live.
pub fn counters(key: &KeyRecord, now: u64) -> Vec<(String, u64)> {
    let mut counters = Vec::new();
    for scope in scopes(key) {
        for period in Period::ALL {
            let (_, ends) = clock::period(period, now);
            let ttl = ends.saturating_sub(now) + COUNTER_GRACE;
            counters.push((counter(&scope, period, now), ttl));
        }
    }
    counters
}

/// The counters of a key's own spending this day, week and month.
pub fn own_counters(name: &str, now: u64) -> Vec<String> {
    let scope = Scope::User {
        user_id: name.to_string(),
    };
    Period::ALL
        .iter()
        .map(|period| counter(&scope, *period, now))
        .collect()
}

/// The refusal once `limit` is used up (`spent` in millionths of a dollar).
pub fn exceeded(limit: &SpendLimit, spent: u64, now: u64) -> ProxyError {
    let (_, ends) = clock::period(limit.period, now);
    ProxyError::SpendLimitExceeded {
        scope: describe(&limit.scope),
        period: limit.period.as_str(),
        limit_cents: limit.amount_cents,
        spent_cents: spent / MICROS_PER_CENT,
        retry_after: Duration::from_secs(ends.saturating_sub(now).max(1)),
    }
}

/// The id of the limit of `scope` over `period`: setting it again replaces it.
pub fn limit_id(scope: &Scope, period: Period) -> String {
    let hash = super::keys::hash(&format!("{}|{}", scope_key(scope), period.as_str()));
    format!("spl_{}", &hash[..24])
}

/// A spend limit in the Admin API's shape.
pub fn to_json(limit: &SpendLimit) -> Value {
    json!({
        "type": "spend_limit",
        "id": limit.id,
        "scope": limit.scope,
        "period": limit.period,
        "amount": limit.amount_cents.to_string(),
        "currency": "USD",
        "is_enabled": true,
        "created_at": clock::rfc3339(limit.created_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(group: Option<&str>) -> KeyRecord {
        KeyRecord {
            name: "alice".into(),
            group: group.map(Into::into),
            rpm: None,
            tpm: None,
            hash: String::new(),
            hint: String::new(),
            created_at: 0,
        }
    }

    fn limit(scope: Scope, cents: u64) -> SpendLimit {
        SpendLimit {
            id: limit_id(&scope, Period::Daily),
            scope,
            period: Period::Daily,
            amount_cents: cents,
            created_at: 0,
        }
    }

    #[test]
    fn a_key_is_capped_by_its_own_its_groups_and_the_organizations_limits() {
        let limits = [
            limit(Scope::Organization, 1000),
            limit(
                Scope::User {
                    user_id: "alice".into(),
                },
                5,
            ),
            limit(
                Scope::User {
                    user_id: "bob".into(),
                },
                5,
            ),
            limit(
                Scope::RbacGroup {
                    rbac_group_id: "ml".into(),
                },
                50,
            ),
        ];
        assert_eq!(caps(&key(None), &limits, 0).len(), 2);
        let capped = caps(&key(Some("ml")), &limits, 0);
        assert_eq!(capped.len(), 3);
        assert_eq!(capped[1].1.micros, 5 * MICROS_PER_CENT);
        assert_eq!(capped[1].1.counter, "spend:user:alice:d0");
        assert_eq!(counters(&key(Some("ml")), 0).len(), 9);
    }

    #[test]
    fn the_wire_shape_is_the_admin_apis() {
        let limit = limit(
            Scope::RbacGroup {
                rbac_group_id: "ml".into(),
            },
            250,
        );
        let shown = to_json(&limit);
        assert_eq!(shown["amount"], "250");
        assert_eq!(
            shown["scope"],
            json!({"type": "rbac_group", "rbac_group_id": "ml"})
        );
        assert_eq!(shown["period"], "daily");
        assert!(shown["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("spl_")));
        let refusal = exceeded(&limit, 2_600_000, 3600);
        assert_eq!(refusal.code(), "spend_limit_exceeded");
        assert_eq!(refusal.retry_after(), Some(82_800));
    }
}
