//! Who may do what to a model: a list of rules, each giving some roles some kinds of access.
//!
//! A model without permissions allows everything; a model with them denies whatever no rule
//! allows (an empty list denies everything). The HTTP layer checks every request against its
//! model's rules with the caller's roles (`anonymous`, or `authenticated` and the token's).

use std::fmt;

/// A kind of access a rule gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Every read: one resource (any revision, as-of), its history, diffs, verification, pins,
    /// searches, counts, the change feed.
    Read,
    /// A create.
    Create,
    /// A full update (and pinning or unpinning a revision).
    Update,
    /// A JSON Patch or merge patch.
    Patch,
    /// A soft delete.
    Delete,
    /// A restore.
    Restore,
    /// A revert to an old revision.
    Revert,
    /// A permanent delete.
    Purge,
    /// A persisted migration.
    Migrate,
    /// An export of the store.
    Export,
}

impl Access {
    /// Every access, in declaration order.
    pub const ALL: [Self; 10] = [
        Self::Read,
        Self::Create,
        Self::Update,
        Self::Patch,
        Self::Delete,
        Self::Restore,
        Self::Revert,
        Self::Purge,
        Self::Migrate,
        Self::Export,
    ];

    /// The name a model file writes: `read`, `create`, …
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Patch => "patch",
            Self::Delete => "delete",
            Self::Restore => "restore",
            Self::Revert => "revert",
            Self::Purge => "purge",
            Self::Migrate => "migrate",
            Self::Export => "export",
        }
    }

    /// The access named `name`, as [`as_str`](Self::as_str) writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule: the callers with any of `roles` have each access of `access`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    roles: Vec<String>,
    access: Vec<Access>,
}

impl Rule {
    /// Callers with any of `roles` get `access`.
    pub fn new(
        roles: impl IntoIterator<Item = impl Into<String>>,
        access: impl IntoIterator<Item = Access>,
    ) -> Self {
        Self {
            roles: roles.into_iter().map(Into::into).collect(),
            access: access.into_iter().collect(),
        }
    }

    /// Callers with any of `roles` get every access.
    pub fn all(roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::new(roles, Access::ALL)
    }

    /// The roles the rule is for.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// The access it gives.
    pub fn access(&self) -> &[Access] {
        &self.access
    }

    fn allows(&self, roles: &[String], access: Access) -> bool {
        self.access.contains(&access) && self.roles.iter().any(|r| roles.contains(r))
    }
}

/// A model's rules: a request is allowed when one of them gives one of its roles its access.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    rules: Vec<Rule>,
}

impl Permissions {
    /// The rules `rules` (none: nothing is allowed).
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Self {
        Self {
            rules: rules.into_iter().collect(),
        }
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether a caller with `roles` has `access`.
    pub fn allows(&self, roles: &[String], access: Access) -> bool {
        self.rules.iter().any(|rule| rule.allows(roles, access))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn a_request_is_allowed_when_one_rule_gives_one_of_its_roles_its_access() {
        let rules = Permissions::new([
            Rule::all(["admin"]),
            Rule::new(["editor"], [Access::Read, Access::Create, Access::Update]),
            Rule::new(["anonymous"], [Access::Read]),
        ]);
        assert!(rules.allows(&roles(&["admin"]), Access::Purge));
        assert!(rules.allows(&roles(&["authenticated", "editor"]), Access::Create));
        assert!(!rules.allows(&roles(&["authenticated", "editor"]), Access::Delete));
        assert!(rules.allows(&roles(&["anonymous"]), Access::Read));
        assert!(!rules.allows(&roles(&["anonymous"]), Access::Create));
        assert!(!rules.allows(&roles(&["authenticated"]), Access::Read));
        assert!(!Permissions::new([]).allows(&roles(&["admin"]), Access::Read));
    }

    #[test]
    fn names_round_trip() {
        for access in Access::ALL {
            assert_eq!(Access::parse(access.as_str()), Some(access));
        }
        assert_eq!(Access::parse("all"), None);
    }
}
