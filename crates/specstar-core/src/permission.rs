//! Who may do what to a model: a list of rules, each giving some roles some kinds of access,
//! optionally only to the resources of a **row scope**.
//!
//! A model without permissions allows everything; a model with them denies whatever no rule
//! allows (an empty list denies everything). The HTTP layer checks every request against its
//! model's rules with the caller's roles (`anonymous`, or `authenticated` and the token's).
//!
//! A rule's scope ([`Rule::scoped`]) is a [`Filter`] over the model's indexed and meta fields
//! whose values may be the caller's own ([`UserValue`]: its id, its roles), bound per request
//! ([`Permissions::grant`]). A caller whose access comes only from scoped rules sees the
//! resources one of their scopes matches and no other: searches and counts are its query and
//! the scope, answered by the store's indexes; a resource out of scope is not found; a write
//! must find the resource in scope and leave it there.

use std::fmt;

use serde_json::Value;

use crate::query::Filter;

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

/// A value of the caller that a row scope compares with, bound when a request is checked:
/// `Filter::data("owner", Op::Eq, UserValue::Id)` is "the resources whose owner is the caller".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserValue {
    /// The caller's user id (a string).
    Id,
    /// The caller's roles (an array of strings), for `in` and `not_in`.
    Roles,
}

/// The key of the JSON object that stands for a [`UserValue`] in a scope's template: a query's
/// values are scalars or arrays of scalars, so an object is never a value of its own.
const USER_VALUE_KEY: &str = "$user";

impl UserValue {
    fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Roles => "roles",
        }
    }

    /// The user value a template's JSON value stands for, if it stands for one.
    fn of(value: &Value) -> Option<Self> {
        let object = value.as_object().filter(|o| o.len() == 1)?;
        match object.get(USER_VALUE_KEY)?.as_str()? {
            "id" => Some(Self::Id),
            "roles" => Some(Self::Roles),
            _ => None,
        }
    }
}

impl From<UserValue> for Value {
    fn from(value: UserValue) -> Self {
        serde_json::json!({ USER_VALUE_KEY: value.name() })
    }
}

/// Who a request acts as, as rules and scopes see it.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    /// The user id ([`UserValue::Id`]).
    pub id: &'a str,
    /// The roles rules are for ([`UserValue::Roles`]).
    pub roles: &'a [String],
}

/// A row scope: a filter whose values may be [`UserValue`]s, bound to each caller.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    template: Filter,
}

impl Scope {
    /// The scope `template`, its [`UserValue`]s bound per caller.
    pub fn new(template: Filter) -> Self {
        Self { template }
    }

    /// The filter as declared, user values unbound.
    pub fn template(&self) -> &Filter {
        &self.template
    }

    /// The filter for `caller`: each user value replaced by the caller's.
    pub fn bind(&self, caller: Caller<'_>) -> Filter {
        let mut filter = self.template.clone();
        filter.visit_values_mut(&mut |value| bind_value(value, caller));
        filter
    }
}

fn bind_value(value: &mut Value, caller: Caller<'_>) {
    match UserValue::of(value) {
        Some(UserValue::Id) => *value = Value::String(caller.id.to_owned()),
        Some(UserValue::Roles) => {
            *value = Value::Array(caller.roles.iter().cloned().map(Value::String).collect());
        }
        None => {
            if let Value::Array(items) = value {
                items.iter_mut().for_each(|item| bind_value(item, caller));
            }
        }
    }
}

/// What a model's rules grant a caller for one kind of access.
#[derive(Clone, Debug, PartialEq)]
pub enum Grant {
    /// No rule gives it.
    Denied,
    /// A rule without a scope gives it: on every resource.
    All,
    /// Only scoped rules give it: on the resources this filter (their scopes, or-ed, bound to
    /// the caller) matches.
    Scoped(Filter),
}

/// One rule: the callers with any of `roles` have each access of `access`, on every resource
/// or on those of its scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    roles: Vec<String>,
    access: Vec<Access>,
    scope: Option<Scope>,
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
            scope: None,
        }
    }

    /// The same rule, given only on the resources `scope` matches (its [`UserValue`]s bound
    /// to each caller). Its fields must be indexed: the model's build refuses it otherwise.
    #[must_use]
    pub fn scoped(mut self, scope: Filter) -> Self {
        self.scope = Some(Scope::new(scope));
        self
    }

    /// The rule's row scope, if it has one.
    pub fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
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
#[derive(Clone, Debug, Default, PartialEq)]
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

    /// Whether a caller with `roles` has `access` (on some resources, when scoped).
    pub fn allows(&self, roles: &[String], access: Access) -> bool {
        self.rules.iter().any(|rule| rule.allows(roles, access))
    }

    /// What the rules grant `caller` for `access`: all resources when a rule without a scope
    /// gives it, else the resources of the scopes of the rules that give it.
    pub fn grant(&self, caller: Caller<'_>, access: Access) -> Grant {
        let mut scopes = Vec::new();
        for rule in self.rules.iter().filter(|r| r.allows(caller.roles, access)) {
            match &rule.scope {
                None => return Grant::All,
                Some(scope) => scopes.push(scope.bind(caller)),
            }
        }
        match scopes.len() {
            0 => Grant::Denied,
            1 => Grant::Scoped(scopes.remove(0)),
            _ => Grant::Scoped(Filter::Or(scopes)),
        }
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
    fn a_scope_binds_the_callers_values_wherever_they_stand() {
        use crate::query::Op;
        let scope = Scope::new(Filter::Or(vec![
            Filter::data("owner", Op::Eq, UserValue::Id),
            Filter::data("team", Op::In, UserValue::Roles),
            Filter::data(
                "reviewer",
                Op::In,
                Value::Array(vec![UserValue::Id.into(), "nobody".into()]),
            )
            .negate(),
        ]));
        let roles = roles(&["authenticated", "red"]);
        let bound = scope.bind(Caller {
            id: "ann",
            roles: &roles,
        });
        assert_eq!(
            bound,
            Filter::Or(vec![
                Filter::data("owner", Op::Eq, "ann"),
                Filter::data("team", Op::In, serde_json::json!(["authenticated", "red"])),
                Filter::data("reviewer", Op::In, serde_json::json!(["ann", "nobody"])).negate(),
            ])
        );
        // An object that is not a user value stays as it is.
        let other = Scope::new(Filter::data(
            "x",
            Op::Eq,
            serde_json::json!({"$user": "name"}),
        ));
        assert_eq!(
            other.bind(Caller {
                id: "ann",
                roles: &roles
            }),
            *other.template()
        );
    }

    #[test]
    fn a_grant_is_every_resource_when_one_rule_has_no_scope_else_the_union_of_scopes() {
        use crate::query::Op;
        let own = Filter::data("owner", Op::Eq, UserValue::Id);
        let open = Filter::data("status", Op::Eq, "open");
        let rules = Permissions::new([
            Rule::new(["authenticated"], [Access::Read, Access::Update]).scoped(own),
            Rule::new(["authenticated"], [Access::Read]).scoped(open.clone()),
            Rule::new(["staff"], [Access::Read]),
        ]);
        let ann = roles(&["authenticated"]);
        let caller = Caller {
            id: "ann",
            roles: &ann,
        };
        let mine = Filter::data("owner", Op::Eq, "ann");
        assert_eq!(
            rules.grant(caller, Access::Read),
            Grant::Scoped(Filter::Or(vec![mine.clone(), open]))
        );
        assert_eq!(rules.grant(caller, Access::Update), Grant::Scoped(mine));
        assert_eq!(rules.grant(caller, Access::Delete), Grant::Denied);
        let staff = roles(&["authenticated", "staff"]);
        let staff = Caller {
            id: "sam",
            roles: &staff,
        };
        assert_eq!(rules.grant(staff, Access::Read), Grant::All);
    }

    #[test]
    fn names_round_trip() {
        for access in Access::ALL {
            assert_eq!(Access::parse(access.as_str()), Some(access));
        }
        assert_eq!(Access::parse("all"), None);
    }
}
