//! Bearer JWTs, verified by `jsonwebtoken`: HS256/384/512 with a shared secret, RS*/PS*,
//! ES256/384 or EdDSA with a PEM public key, or any of them from a JWKS file.
//!
//! A token is accepted when its signature verifies under a key of the algorithm family the key
//! belongs to (a token may never pick its own algorithm: `none`, or an HMAC over a public key,
//! is refused), `exp` is present and not past and `nbf`, when present, is reached (both with a
//! small leeway), and `iss` and `aud` are the configured ones when configured. The user id is
//! the `sub` claim and the roles the `roles` claim (an array of strings, or one string); both
//! names can be changed. No `Authorization` header is the anonymous principal; anything else
//! that does not pass is 401 with `WWW-Authenticate: Bearer error="invalid_token"`, never
//! anonymous. The keys never appear in logs or `Debug` output.

use std::fmt;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};

use super::Principal;
use crate::problem::Problem;

/// The default leeway on `exp` and `nbf`, in seconds: clocks of issuers and servers differ.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 30;

/// One verification key, with the key id a JWKS gave it.
#[derive(Clone)]
struct Key {
    id: Option<String>,
    key: DecodingKey,
    /// The algorithms this key verifies: those of its family, or the one its JWK names.
    algorithms: Vec<Algorithm>,
}

/// Bearer JWT authentication: the keys, what is checked, and which claims say who.
#[derive(Clone)]
pub struct JwtAuth {
    keys: Vec<Key>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
    user_claim: String,
    roles_claim: String,
}

/// A key that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JwtAuthError {
    /// The secret is empty.
    #[error("the JWT secret is empty")]
    EmptySecret,
    /// The PEM is not an RSA, EC or Ed25519 public key.
    #[error("the public key is not a PEM RSA, EC (P-256, P-384) or Ed25519 public key")]
    BadPublicKey,
    /// The JWKS does not parse, or holds no key specstar can use.
    #[error("the JWKS is not usable: {0}")]
    BadJwks(String),
}

impl JwtAuth {
    /// HS256 (and HS384, HS512) tokens signed with `secret`.
    ///
    /// # Errors
    /// [`JwtAuthError::EmptySecret`].
    pub fn hmac(secret: &[u8]) -> Result<Self, JwtAuthError> {
        if secret.is_empty() {
            return Err(JwtAuthError::EmptySecret);
        }
        Ok(Self::with_keys(vec![Key::of_family(
            None,
            DecodingKey::from_secret(secret),
        )]))
    }

    /// Tokens signed by the private half of `pem`, a public key (RSA: RS256…PS512; EC:
    /// ES256, ES384; Ed25519: EdDSA).
    ///
    /// # Errors
    /// [`JwtAuthError::BadPublicKey`].
    pub fn public_key_pem(pem: &[u8]) -> Result<Self, JwtAuthError> {
        let key = DecodingKey::from_rsa_pem(pem)
            .or_else(|_| DecodingKey::from_ec_pem(pem))
            .or_else(|_| DecodingKey::from_ed_pem(pem))
            .map_err(|_| JwtAuthError::BadPublicKey)?;
        Ok(Self::with_keys(vec![Key::of_family(None, key)]))
    }

    /// Tokens signed by any key of a JWKS document (`{"keys": [...]}`), chosen by the token's
    /// `kid` when it has one.
    ///
    /// # Errors
    /// [`JwtAuthError::BadJwks`] for a document that does not parse or holds no usable key.
    pub fn jwks(json: &str) -> Result<Self, JwtAuthError> {
        let set: JwkSet =
            serde_json::from_str(json).map_err(|e| JwtAuthError::BadJwks(e.to_string()))?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| JwtAuthError::BadJwks(format!("key {:?}: {e}", jwk.common.key_id)))?;
            let mut key = Key::of_family(jwk.common.key_id.clone(), key);
            if let Some(named) = jwk.common.key_algorithm {
                let named: Algorithm = named.to_string().parse().map_err(|_| {
                    JwtAuthError::BadJwks(format!("{named} is not a JWS algorithm"))
                })?;
                key.algorithms.retain(|a| *a == named);
                if key.algorithms.is_empty() {
                    return Err(JwtAuthError::BadJwks(format!(
                        "key {:?}: its alg {named:?} does not fit its key type",
                        jwk.common.key_id
                    )));
                }
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(JwtAuthError::BadJwks("it holds no key".into()));
        }
        Ok(Self::with_keys(keys))
    }

    fn with_keys(keys: Vec<Key>) -> Self {
        Self {
            keys,
            issuer: None,
            audience: None,
            leeway: DEFAULT_LEEWAY_SECONDS,
            user_claim: "sub".into(),
            roles_claim: "roles".into(),
        }
    }

    /// Accepts only tokens whose `iss` is `issuer`.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Accepts only tokens whose `aud` is (or contains) `audience`.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The leeway on `exp` and `nbf`, in seconds (default 30).
    #[must_use]
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// The claim holding the user id (default `sub`).
    #[must_use]
    pub fn user_claim(mut self, name: impl Into<String>) -> Self {
        self.user_claim = name.into();
        self
    }

    /// The claim holding the roles (default `roles`).
    #[must_use]
    pub fn roles_claim(mut self, name: impl Into<String>) -> Self {
        self.roles_claim = name.into();
        self
    }

    /// The principal of a request: anonymous without an `Authorization` header, else the
    /// token's.
    ///
    /// # Errors
    /// A 401 problem (`invalid_token`) for any token that does not pass, or an `Authorization`
    /// header that is not `Bearer <token>`.
    pub fn authenticate(&self, parts: &Parts) -> Result<Principal, Problem> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Ok(Principal::anonymous());
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or_else(|| invalid_token("the Authorization header is not `Bearer <token>`"))?;
        let claims = self.verify(token)?;
        self.principal(&claims)
    }

    /// The claims of `token` once verified, or why not.
    fn verify(&self, token: &str) -> Result<Map<String, Value>, Problem> {
        let header = decode_header(token)
            .map_err(|e| invalid_token(&format!("the token cannot be read: {e}")))?;
        let candidates = self.keys.iter().filter(|key| {
            key.algorithms.contains(&header.alg)
                && (header.kid.is_none() || key.id.is_none() || key.id == header.kid)
        });
        let mut last = None;
        for key in candidates {
            match decode::<Map<String, Value>>(token, &key.key, &self.validation(key)) {
                Ok(data) => return Ok(data.claims),
                Err(error) => last = Some(error),
            }
        }
        Err(invalid_token(&match last {
            Some(error) => format!("the token does not verify: {error}"),
            None => format!("no configured key verifies {:?} tokens", header.alg),
        }))
    }

    fn validation(&self, key: &Key) -> Validation {
        let mut validation = Validation::new(key.algorithms[0]);
        validation.algorithms.clone_from(&key.algorithms);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.validate_aud = self.audience.is_some();
        if let Some(audience) = &self.audience {
            validation.set_audience(&[audience]);
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        validation
    }

    /// The principal the verified `claims` name.
    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, Problem> {
        let id = claims
            .get(&self.user_claim)
            .and_then(Value::as_str)
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| {
                invalid_token(&format!(
                    "the token has no `{}` claim naming the user",
                    self.user_claim
                ))
            })?;
        let roles = match claims.get(&self.roles_claim) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(role)) => vec![role.clone()],
            Some(Value::Array(roles)) => roles
                .iter()
                .map(|r| r.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    invalid_token(&format!("`{}` holds a non-string", self.roles_claim))
                })?,
            Some(_) => {
                return Err(invalid_token(&format!(
                    "`{}` is not a string or an array of strings",
                    self.roles_claim
                )));
            }
        };
        Ok(Principal::authenticated(id, roles))
    }
}

impl Key {
    /// `key`, verifying every algorithm of its family.
    fn of_family(id: Option<String>, key: DecodingKey) -> Self {
        let family: AlgorithmFamily = key.family();
        Self {
            id,
            key,
            algorithms: family.algorithms().to_vec(),
        }
    }
}

impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The keys stay out: a secret must never reach a log.
        f.debug_struct("JwtAuth")
            .field("keys", &self.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .field("user_claim", &self.user_claim)
            .field("roles_claim", &self.roles_claim)
            .finish()
    }
}

/// The 401 of a token that does not pass: RFC 6750's challenge, RFC 9457's body.
fn invalid_token(detail: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Invalid token",
        detail,
    )
    .with_header(
        WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer error="invalid_token""#),
    )
}
