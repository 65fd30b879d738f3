//! A model file's `permissions:`, who may do what:
//!
//! ```yaml
//! permissions:
//!   - roles: [admin]
//!     actions: [all]
//!   - roles: [editor]
//!     actions: [read, create, update, patch]
//!   - roles: [authenticated]
//!     actions: [read, update]
//!     where: "QB['owner'].eq(USER.id)"
//! ```
//!
//! A request is allowed when one rule gives one of its roles (`anonymous`; or `authenticated`
//! and its token's roles) its action; a model with `permissions:` denies whatever no rule
//! allows, one without allows everything. A rule's `where:` is its row scope, a `qb` condition
//! with `USER.id` and `USER.roles` as values ([`parse_scope`]): the rule gives its actions on
//! the resources it matches only. Its fields must be indexed (the model's build says so).

use serde::Deserialize;
use specstar::http::parse_scope;
use specstar::{Access, Permissions, Rule};

/// One rule as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    roles: Vec<String>,
    actions: Vec<String>,
    #[serde(rename = "where")]
    scope: Option<String>,
}

/// The rules a file declares, or what is wrong with them.
pub(crate) fn permissions(rules: &[RuleFile]) -> Result<Permissions, String> {
    let mut out = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let at = || format!("permissions: rule {}", i + 1);
        if rule.roles.is_empty() || rule.roles.iter().any(|r| r.trim().is_empty()) {
            return Err(format!(
                "{}: `roles` must name at least one role, none empty",
                at()
            ));
        }
        let mut access = Vec::new();
        for action in &rule.actions {
            match action.as_str() {
                "all" => access.extend(Access::ALL),
                name => access.push(Access::parse(name).ok_or_else(|| {
                    let known: Vec<&str> = Access::ALL.iter().map(|a| a.as_str()).collect();
                    format!(
                        "{}: unknown action {name:?} (there are: all, {})",
                        at(),
                        known.join(", ")
                    )
                })?),
            }
        }
        if access.is_empty() {
            return Err(format!("{}: `actions` must name at least one action", at()));
        }
        let mut parsed = Rule::new(rule.roles.clone(), access);
        if let Some(text) = &rule.scope {
            let scope = parse_scope(text).map_err(|e| format!("{}: where: {e}", at()))?;
            parsed = parsed.scoped(scope);
        }
        out.push(parsed);
    }
    Ok(Permissions::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(roles: &[&str], actions: &[&str], scope: Option<&str>) -> RuleFile {
        RuleFile {
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            scope: scope.map(Into::into),
        }
    }

    #[test]
    fn rules_become_permissions() {
        let rules = permissions(&[
            rule(&["admin"], &["all"], None),
            rule(&["editor"], &["read", "update"], None),
        ])
        .unwrap();
        let roles = |r: &str| vec![r.to_owned()];
        assert!(rules.allows(&roles("admin"), Access::Purge));
        assert!(rules.allows(&roles("editor"), Access::Update));
        assert!(!rules.allows(&roles("editor"), Access::Delete));
    }

    #[test]
    fn a_where_is_the_rules_scope() {
        let rules = permissions(&[rule(
            &["authenticated"],
            &["read"],
            Some("QB['owner'].eq(USER.id) | QB['team'].in_(USER.roles)"),
        )])
        .unwrap();
        let roles = ["authenticated".to_owned(), "red".to_owned()];
        let caller = specstar::Caller {
            id: "ann",
            roles: &roles,
        };
        let expected = specstar::Filter::Or(vec![
            specstar::Filter::data("owner", specstar::Op::Eq, "ann"),
            specstar::Filter::data(
                "team",
                specstar::Op::In,
                serde_json::json!(["authenticated", "red"]),
            ),
        ]);
        assert_eq!(
            rules.grant(caller, Access::Read),
            specstar::Grant::Scoped(expected)
        );
    }

    #[test]
    fn bad_rules_say_why() {
        for (bad, says) in [
            (
                rule(&["a"], &["read"], Some("QB['owner'].eq(USER.name)")),
                "where: unknown user value USER.name",
            ),
            (
                rule(&["a"], &["read"], Some("QB['owner'].eq(USER.id).limit(2)")),
                "where: a row scope is a condition",
            ),
            (rule(&[], &["read"], None), "at least one role"),
            (rule(&["a"], &[], None), "at least one action"),
            (rule(&["a"], &["erase"], None), "unknown action \"erase\""),
        ] {
            let error = permissions(&[bad]).unwrap_err();
            assert!(error.contains(says), "{error}");
        }
    }
}
