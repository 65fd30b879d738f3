//! The reference's `qb` parameter: a Query-Builder expression in Python syntax, parsed here by
//! a small recursive-descent parser (never evaluated as code) into a core [`Query`].
//!
//! The subset:
//!
//! - fields: `QB['status']` / `QB["status"]` (indexed data), `QB.created_time()`,
//!   `QB.updated_time()`, `QB.created_by()`, `QB.updated_by()`, `QB.resource_id()`,
//!   `QB.is_deleted()` (meta);
//! - conditions: `.eq(v)`, `.ne`, `.gt`, `.gte`, `.lt`, `.lte`, `.in_([..])`, `.not_in([..])`,
//!   `.contains(s)`, `.starts_with(s)`, `.ends_with(s)`, `.is_null()`, `.exists()` (both with an
//!   optional boolean), and `== != > >= < <=` between a field and a literal;
//! - logic: `&`, `|`, `~`, parentheses, `QB.all()` (everything), `QB.all(c, ...)` (and),
//!   `QB.any(c, ...)` (or);
//! - paging: `.sort(QB.created_time().desc(), QB['x'].asc(), "-created_time")`, `.limit(n)`,
//!   `.offset(n)`;
//! - literals: single- or double-quoted strings, integers, floats, `True`, `False`, `None`,
//!   lists `[...]`.
//!
//! Operators bind as in Python: `~` tightest, then `&`, then `|`, then comparisons, so
//! `(QB['a'] == 1) & (QB['b'] == 2)` needs its parentheses, as it does in the reference. A
//! sort-only expression (`QB.created_time().desc()`) is refused, as the reference does. Errors
//! carry the byte offset where the parser stopped: `expected `)` at 17`.

mod lex;
mod methods;

use std::fmt;

use serde_json::{Number, Value};
use specstar_core::{Field, Filter, Op, Query, Sort, UserValue};

use self::lex::{Kind, Token, lex};

/// How deeply expressions may nest before the parser gives up (it recurses).
const MAX_DEPTH: usize = 64;

/// A parse error: what was wrong and the byte offset where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QbError {
    /// The byte offset in the expression.
    pub position: usize,
    /// What was expected or wrong.
    pub message: String,
}

impl fmt::Display for QbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.message, self.position)
    }
}

impl std::error::Error for QbError {}

/// A parsed expression: the filter, sorts and page it asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QbQuery {
    /// The filter; `None` for every resource.
    pub filter: Option<Filter>,
    /// The sorts, first first.
    pub sorts: Vec<Sort>,
    /// `.limit(n)`, if given.
    pub limit: Option<u64>,
    /// `.offset(n)`, if given.
    pub offset: Option<u64>,
}

impl QbQuery {
    /// The core query (deleted rule, limit and offset as given, the rest to the caller).
    pub fn into_query(self) -> Query {
        Query {
            filter: self.filter,
            sorts: self.sorts,
            offset: self.offset.unwrap_or(0),
            limit: self.limit,
            include_deleted: false,
            after: None,
        }
    }
}

/// Parses a `qb` expression: the reference's Query-Builder syntax in Python (fields
/// `QB['f']` and `QB.created_time()`…, methods `.eq(v)`… and operators `==`…, `&`, `|`, `~`,
/// `QB.all(…)`, `QB.any(…)`, `.sort(…)`, `.limit(n)`, `.offset(n)`), read as data and never
/// run. The `qb` parameter of the search routes is read with it; an application's own routes
/// can take the same expressions and search with [`QbQuery::into_query`].
///
/// ```
/// let parsed = specstar_http::parse_qb("QB['status'].eq('open') & (QB['severity'] != 'low')")?;
/// assert!(parsed.filter.is_some());
/// let error = specstar_http::parse_qb("QB['status'].eq('open'").unwrap_err();
/// assert_eq!(error.position, 22);
/// # Ok::<(), specstar_http::QbError>(())
/// ```
///
/// # Errors
/// A [`QbError`] with the byte offset of the first thing that is not in the subset.
pub fn parse(text: &str) -> Result<QbQuery, QbError> {
    parse_with(text, false)
}

/// Parses a permission rule's row scope (a model file's `where:`): a `qb` condition whose
/// literals may also be `USER.id` (the caller's user id) and `USER.roles` (its roles, for
/// `.in_()` and `.not_in()`), bound to each caller when a request is checked
/// ([`UserValue`](specstar_core::UserValue)). Sorts and pages are refused: a scope is a filter.
///
/// ```
/// let scope = specstar_http::parse_scope("QB['owner'].eq(USER.id)")?;
/// assert_eq!(
///     scope,
///     specstar_core::Filter::data("owner", specstar_core::Op::Eq, specstar_core::UserValue::Id)
/// );
/// assert!(specstar_http::parse_scope("QB.all().limit(3)").is_err());
/// # Ok::<(), specstar_http::QbError>(())
/// ```
///
/// # Errors
/// A [`QbError`] as [`parse`] gives, and for sorts or a page.
pub fn parse_scope(text: &str) -> Result<Filter, QbError> {
    let parsed = parse_with(text, true)?;
    if !parsed.sorts.is_empty() || parsed.limit.is_some() || parsed.offset.is_some() {
        return Err(error(
            0,
            "a row scope is a condition: it takes no .sort(), .limit() or .offset()",
        ));
    }
    Ok(parsed.filter.unwrap_or_else(|| Filter::And(Vec::new())))
}

/// Parses `text`, with `USER.id` and `USER.roles` as values when `user_values`.
fn parse_with(text: &str, user_values: bool) -> Result<QbQuery, QbError> {
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
        end: text.len(),
        user_values,
    };
    let (value, pos) = parser.expression()?;
    if let Some(token) = parser.peek() {
        return Err(error(token.pos, format!("unexpected {}", token.kind)));
    }
    match value {
        Val::Cond(filter) => Ok(QbQuery {
            filter: Some(filter),
            ..QbQuery::default()
        }),
        Val::Query(query) => Ok(query),
        Val::Sort(_) => Err(error(
            pos,
            "a sort alone is not a query; write QB.all().sort(...)",
        )),
        other => Err(error(
            pos,
            format!(
                "expected a condition or a query, found {}",
                other.describe()
            ),
        )),
    }
}

fn error(position: usize, message: impl Into<String>) -> QbError {
    QbError {
        position,
        message: message.into(),
    }
}

/// A value while parsing.
#[derive(Clone, Debug)]
enum Val {
    Lit(Value),
    Field(Field),
    Cond(Filter),
    Sort(Sort),
    Query(QbQuery),
    /// `QB` itself.
    Builder,
}

impl Val {
    fn describe(&self) -> &'static str {
        match self {
            Self::Lit(_) => "a literal",
            Self::Field(_) => "a field",
            Self::Cond(_) => "a condition",
            Self::Sort(_) => "a sort",
            Self::Query(_) => "a query",
            Self::Builder => "`QB`",
        }
    }

    /// The filter of a condition, or of a query without sorts or page.
    fn into_filter(self, pos: usize, what: &str) -> Result<Filter, QbError> {
        match self {
            Self::Cond(f) => Ok(f),
            Self::Query(q) if q.sorts.is_empty() && q.limit.is_none() && q.offset.is_none() => {
                Ok(q.filter.unwrap_or_else(|| Filter::And(Vec::new())))
            }
            other => Err(error(
                pos,
                format!("{what} takes conditions, not {}", other.describe()),
            )),
        }
    }

    fn into_query(self, pos: usize, method: &str) -> Result<QbQuery, QbError> {
        match self {
            Self::Cond(f) => Ok(QbQuery {
                filter: Some(f),
                ..QbQuery::default()
            }),
            Self::Query(q) => Ok(q),
            other => Err(error(
                pos,
                format!(
                    ".{method}() applies to a condition or a query, not {}",
                    other.describe()
                ),
            )),
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    end: usize,
    /// Whether `USER.id` and `USER.roles` are values (a row scope's).
    user_values: bool,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn eat(&mut self, punct: &str) -> bool {
        if matches!(self.peek(), Some(Token { kind: Kind::Punct(p), .. }) if *p == punct) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, punct: &str) -> Result<(), QbError> {
        if self.eat(punct) {
            Ok(())
        } else {
            Err(error(self.pos(), format!("expected `{punct}`")))
        }
    }

    fn ident(&mut self) -> Result<String, QbError> {
        match self.peek() {
            Some(Token {
                kind: Kind::Ident(name),
                ..
            }) => {
                let name = name.clone();
                self.at += 1;
                Ok(name)
            }
            _ => Err(error(self.pos(), "expected a name")),
        }
    }

    fn enter(&mut self) -> Result<(), QbError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(
                self.pos(),
                format!(
                    "expression nested too deeply: at most {MAX_DEPTH} levels of parentheses, \
                     calls, lists and `~`"
                ),
            ));
        }
        Ok(())
    }

    /// comparison := or (cmp or)?
    fn expression(&mut self) -> Result<(Val, usize), QbError> {
        self.enter()?;
        let start = self.pos();
        let left = self.or()?;
        let result = if let Some(Token {
            kind: Kind::Punct(p),
            pos,
        }) = self.peek().cloned()
            && let Some(op) = cmp_op(p)
        {
            self.at += 1;
            let right_pos = self.pos();
            let right = self.or()?;
            if let Some(Token {
                kind: Kind::Punct(p2),
                pos: pos2,
            }) = self.peek()
                && cmp_op(p2).is_some()
            {
                return Err(error(*pos2, "chained comparisons are not supported"));
            }
            let cond = match (left, right) {
                (Val::Field(field), Val::Lit(value)) => Filter::cond(field, op, value),
                (Val::Lit(value), Val::Field(field)) => Filter::cond(field, flip(op), value),
                (Val::Field(_), other) => {
                    return Err(error(
                        right_pos,
                        format!(
                            "`{p}` compares a field with a literal, not {}",
                            other.describe()
                        ),
                    ));
                }
                (other, _) => {
                    return Err(error(
                        pos,
                        format!(
                            "`{p}` compares a field with a literal, not {}",
                            other.describe()
                        ),
                    ));
                }
            };
            Val::Cond(cond)
        } else {
            left
        };
        self.depth -= 1;
        Ok((result, start))
    }

    fn or(&mut self) -> Result<Val, QbError> {
        let mut left = self.and()?;
        while let Some(pos) = self.peek().map(|t| t.pos)
            && self.eat("|")
        {
            let lhs = left.into_filter(pos, "`|`")?;
            let right_pos = self.pos();
            let rhs = self.and()?.into_filter(right_pos, "`|`")?;
            left = Val::Cond(match lhs {
                Filter::Or(mut all) => {
                    all.push(rhs);
                    Filter::Or(all)
                }
                other => Filter::Or(vec![other, rhs]),
            });
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Val, QbError> {
        let mut left = self.unary()?;
        while let Some(pos) = self.peek().map(|t| t.pos)
            && self.eat("&")
        {
            let lhs = left.into_filter(pos, "`&`")?;
            let right_pos = self.pos();
            let rhs = self.unary()?.into_filter(right_pos, "`&`")?;
            left = Val::Cond(match lhs {
                Filter::And(mut all) => {
                    all.push(rhs);
                    Filter::And(all)
                }
                other => Filter::And(vec![other, rhs]),
            });
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Val, QbError> {
        let pos = self.pos();
        if self.eat("~") {
            self.enter()?;
            let inner = self.unary()?.into_filter(pos, "`~`")?;
            self.depth -= 1;
            return Ok(Val::Cond(inner.negate()));
        }
        if self.eat("-") || self.eat("+") {
            let negative = matches!(self.tokens[self.at - 1].kind, Kind::Punct("-"));
            return match self.peek().cloned() {
                Some(Token {
                    kind: Kind::Num(n), ..
                }) => {
                    self.at += 1;
                    Ok(Val::Lit(Value::Number(if negative {
                        negate(&n, pos)?
                    } else {
                        n
                    })))
                }
                _ => Err(error(self.pos(), "expected a number")),
            };
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Val, QbError> {
        let mut value = self.primary()?;
        loop {
            let pos = self.pos();
            if self.eat(".") {
                let name = self.ident()?;
                self.expect("(")?;
                let args = self.arguments(")")?;
                value = methods::call(value, &name, args, pos)?;
            } else if matches!(value, Val::Builder) && self.eat("[") {
                let name_pos = self.pos();
                let name = match self.peek().cloned() {
                    Some(Token {
                        kind: Kind::Str(s), ..
                    }) => {
                        self.at += 1;
                        s
                    }
                    _ => return Err(error(name_pos, "expected a quoted field name")),
                };
                self.expect("]")?;
                value = Val::Field(Field::Data(name));
            } else {
                return Ok(value);
            }
        }
    }

    /// `USER.id` or `USER.roles`, after `USER`: a caller's value in a row scope.
    fn user_value(&mut self, pos: usize) -> Result<Val, QbError> {
        if !self.user_values {
            return Err(error(
                pos,
                "USER.id and USER.roles are values of a permission rule's row scope (`where`), \
                 not of a search",
            ));
        }
        self.expect(".")?;
        let name_pos = self.pos();
        match self.ident()?.as_str() {
            "id" => Ok(Val::Lit(UserValue::Id.into())),
            "roles" => Ok(Val::Lit(UserValue::Roles.into())),
            other => Err(error(
                name_pos,
                format!("unknown user value USER.{other}: there are USER.id and USER.roles"),
            )),
        }
    }

    fn primary(&mut self) -> Result<Val, QbError> {
        let pos = self.pos();
        let Some(token) = self.peek().cloned() else {
            return Err(error(pos, "unexpected end of the expression"));
        };
        self.at += 1;
        match token.kind {
            Kind::Ident(name) => match name.as_str() {
                "QB" => Ok(Val::Builder),
                "True" => Ok(Val::Lit(Value::Bool(true))),
                "False" => Ok(Val::Lit(Value::Bool(false))),
                "None" => Ok(Val::Lit(Value::Null)),
                "USER" => self.user_value(pos),
                other => Err(error(pos, format!("unknown name `{other}`"))),
            },
            Kind::Str(s) => Ok(Val::Lit(Value::String(s))),
            Kind::Num(n) => Ok(Val::Lit(Value::Number(n))),
            Kind::Punct("(") => {
                let (value, _) = self.expression()?;
                self.expect(")")?;
                Ok(value)
            }
            Kind::Punct("[") => {
                let items = self.arguments("]")?;
                let values = items
                    .into_iter()
                    .map(|(v, p)| match v {
                        Val::Lit(value) => Ok(value),
                        other => Err(error(
                            p,
                            format!("a list holds literals, not {}", other.describe()),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Val::Lit(Value::Array(values)))
            }
            kind => Err(error(pos, format!("unexpected {kind}"))),
        }
    }

    /// Comma-separated expressions up to `close` (a trailing comma allowed).
    fn arguments(&mut self, close: &str) -> Result<Vec<(Val, usize)>, QbError> {
        self.enter()?;
        let mut args = Vec::new();
        while !self.eat(close) {
            let (value, pos) = self.expression()?;
            args.push((value, pos));
            if !self.eat(",") {
                self.expect(close)?;
                break;
            }
        }
        self.depth -= 1;
        Ok(args)
    }
}

fn cmp_op(punct: &str) -> Option<Op> {
    Some(match punct {
        "==" => Op::Eq,
        "!=" => Op::Ne,
        ">" => Op::Gt,
        ">=" => Op::Gte,
        "<" => Op::Lt,
        "<=" => Op::Lte,
        _ => return None,
    })
}

/// `literal op field` as `field op' literal`.
fn flip(op: Op) -> Op {
    match op {
        Op::Gt => Op::Lt,
        Op::Gte => Op::Lte,
        Op::Lt => Op::Gt,
        Op::Lte => Op::Gte,
        other => other,
    }
}

fn negate(n: &Number, pos: usize) -> Result<Number, QbError> {
    if let Some(i) = n.as_i64() {
        return Ok(Number::from(-i));
    }
    n.as_f64()
        .and_then(|f| Number::from_f64(-f))
        .ok_or_else(|| error(pos, "not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use specstar_core::{Direction, MetaField};

    fn filter(text: &str) -> Filter {
        parse(text).unwrap().filter.unwrap()
    }

    #[test]
    fn conditions_and_logic() {
        assert_eq!(
            filter("QB['severity'].eq('high') & QB[\"status\"].eq(\"open\")"),
            Filter::And(vec![
                Filter::data("severity", Op::Eq, "high"),
                Filter::data("status", Op::Eq, "open"),
            ])
        );
        assert_eq!(
            filter("(QB['n'] >= 3) | ~(QB.created_by() == 'x')"),
            Filter::Or(vec![
                Filter::data("n", Op::Gte, 3),
                Filter::meta(MetaField::CreatedBy, Op::Eq, "x").negate(),
            ])
        );
        assert_eq!(filter("3 < QB['n']"), Filter::data("n", Op::Gt, 3));
        assert_eq!(
            filter("QB['a'].in_([1, -2.5, 'x', True, None])"),
            Filter::data("a", Op::In, json!([1, -2.5, "x", true, null]))
        );
        assert_eq!(
            filter("QB['a'].is_null() & QB['b'].exists(False)"),
            Filter::And(vec![
                Filter::data("a", Op::IsNull, true),
                Filter::data("b", Op::Exists, false),
            ])
        );
        assert_eq!(
            filter("QB.all(QB['a'].eq(1), QB.is_deleted().eq(False))"),
            Filter::And(vec![
                Filter::data("a", Op::Eq, 1),
                Filter::meta(MetaField::IsDeleted, Op::Eq, false),
            ])
        );
    }

    #[test]
    fn sorts_and_pages() {
        let q = parse(
            "QB.all().sort(QB.created_time().desc(), QB['x'].asc(), \"-updated_time\").limit(5).offset(2)",
        )
        .unwrap();
        assert_eq!(q.filter, None);
        assert_eq!(q.limit, Some(5));
        assert_eq!(q.offset, Some(2));
        assert_eq!(
            q.sorts,
            vec![
                Sort {
                    field: Field::Meta(MetaField::CreatedTime),
                    direction: Direction::Desc
                },
                Sort {
                    field: Field::Data("x".into()),
                    direction: Direction::Asc
                },
                Sort {
                    field: Field::Meta(MetaField::UpdatedTime),
                    direction: Direction::Desc
                },
            ]
        );
    }

    #[test]
    fn errors_point_at_the_byte() {
        let e = parse("QB['a'].eq(1").unwrap_err();
        assert_eq!(e.to_string(), "expected `)` at 12");
        assert_eq!(parse("QB['a'].eq(1) &").unwrap_err().position, 15);
        assert_eq!(parse("QB.created_time().desc()").unwrap_err().position, 0);
        assert_eq!(
            parse("QB['a'] == 1 & QB['b'] == 2").unwrap_err().position,
            13
        );
        assert_eq!(parse("QB['a'].eq(1) )").unwrap_err().position, 14);
        assert_eq!(parse("__import__('os')").unwrap_err().position, 0);
        assert_eq!(parse("'abc").unwrap_err().position, 0);
        assert!(parse(&"(".repeat(10_000)).is_err());
        assert!(parse(&"~".repeat(10_000)).is_err());
        assert!(parse("").is_err());
    }
}
