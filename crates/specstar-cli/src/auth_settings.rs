//! `serve`'s bearer JWT settings: one key source (a secret file, a PEM public key, a JWKS
//! file) taken whole from the first settings source that names one, and what tokens must say.
//! The key files are read at start; their bytes never reach a log or an error message.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use specstar::http::JwtAuth;

/// Where the verification keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// HS256: the file's bytes, one trailing newline trimmed.
    SecretFile(PathBuf),
    /// A PEM public key (RSA, EC, Ed25519).
    PublicKey(PathBuf),
    /// A JWKS document.
    Jwks(PathBuf),
}

/// The merged JWT settings of `serve`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AuthSettings {
    pub(crate) key: Option<KeySource>,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) user_claim: Option<String>,
    pub(crate) roles_claim: Option<String>,
}

/// What one settings source says of authentication.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthLayer {
    pub(crate) secret_file: Option<PathBuf>,
    pub(crate) public_key: Option<PathBuf>,
    pub(crate) jwks_file: Option<PathBuf>,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) user_claim: Option<String>,
    pub(crate) roles_claim: Option<String>,
}

impl AuthLayer {
    /// The key source this layer names, if any.
    fn key(&self, source: &str) -> anyhow::Result<Option<KeySource>> {
        let named: Vec<KeySource> = [
            self.secret_file.clone().map(KeySource::SecretFile),
            self.public_key.clone().map(KeySource::PublicKey),
            self.jwks_file.clone().map(KeySource::Jwks),
        ]
        .into_iter()
        .flatten()
        .collect();
        if named.len() > 1 {
            bail!(
                "{source} names more than one JWT key (a secret file, a public key, a JWKS file): keep one"
            );
        }
        Ok(named.into_iter().next())
    }
}

impl AuthSettings {
    /// The settings of `layers`, first to last: the key source from the first that names one,
    /// each other setting from the first that gives it.
    pub(crate) fn merge(layers: &[(&str, &AuthLayer)]) -> anyhow::Result<Self> {
        let mut key = None;
        for (source, layer) in layers {
            if let Some(found) = layer.key(source)? {
                key = Some(found);
                break;
            }
        }
        let first = |get: fn(&AuthLayer) -> &Option<String>| {
            layers.iter().find_map(|(_, layer)| get(layer).clone())
        };
        let settings = Self {
            key,
            issuer: first(|l| &l.issuer),
            audience: first(|l| &l.audience),
            user_claim: first(|l| &l.user_claim),
            roles_claim: first(|l| &l.roles_claim),
        };
        if settings.key.is_none()
            && (settings.issuer.is_some()
                || settings.audience.is_some()
                || settings.user_claim.is_some()
                || settings.roles_claim.is_some())
        {
            bail!(
                "JWT settings are given without a key: name --auth-jwt-secret-file, \
                 --auth-jwt-public-key or --auth-jwks-file"
            );
        }
        Ok(settings)
    }

    /// The authentication these settings make; `None` without a key.
    ///
    /// # Errors
    /// A key file that cannot be read or is not a key of its kind.
    pub(crate) fn jwt(&self) -> anyhow::Result<Option<JwtAuth>> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let mut auth = match key {
            KeySource::SecretFile(path) => {
                let bytes = read(path, "JWT secret file")?;
                let secret = trim_newline(&bytes);
                JwtAuth::hmac(secret)
                    .with_context(|| format!("the JWT secret file {}", path.display()))?
            }
            KeySource::PublicKey(path) => {
                JwtAuth::public_key_pem(&read(path, "JWT public key")?)
                    .with_context(|| format!("the JWT public key {}", path.display()))?
            }
            KeySource::Jwks(path) => {
                let bytes = read(path, "JWKS file")?;
                let text = String::from_utf8(bytes)
                    .with_context(|| format!("the JWKS file {} is not UTF-8", path.display()))?;
                JwtAuth::jwks(&text).with_context(|| format!("the JWKS file {}", path.display()))?
            }
        };
        if let Some(issuer) = &self.issuer {
            auth = auth.issuer(issuer);
        }
        if let Some(audience) = &self.audience {
            auth = auth.audience(audience);
        }
        if let Some(claim) = &self.user_claim {
            auth = auth.user_claim(claim);
        }
        if let Some(claim) = &self.roles_claim {
            auth = auth.roles_claim(claim);
        }
        Ok(Some(auth))
    }

    /// How the settings are named in the start-up log: the kind of key and its file, never
    /// its bytes.
    pub(crate) fn describe(&self) -> String {
        match &self.key {
            None => "none: every request is anonymous".into(),
            Some(KeySource::SecretFile(path)) => {
                format!("bearer JWT, HS256 secret from {}", path.display())
            }
            Some(KeySource::PublicKey(path)) => {
                format!("bearer JWT, public key {}", path.display())
            }
            Some(KeySource::Jwks(path)) => format!("bearer JWT, JWKS {}", path.display()),
        }
    }
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

/// `bytes` without one trailing `\n` or `\r\n`: what an editor or `echo` adds to a secret.
fn trim_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_trimmed() {
        assert_eq!(trim_newline(b"secret\n"), b"secret");
        assert_eq!(trim_newline(b"secret\r\n"), b"secret");
        assert_eq!(trim_newline(b"secret\n\n"), b"secret\n");
        assert_eq!(trim_newline(b"secret"), b"secret");
    }

    #[test]
    fn the_key_comes_whole_from_the_first_source_naming_one() {
        let flags = AuthLayer {
            jwks_file: Some("flags.json".into()),
            ..AuthLayer::default()
        };
        let file = AuthLayer {
            secret_file: Some("file.secret".into()),
            issuer: Some("iss".into()),
            ..AuthLayer::default()
        };
        let merged = AuthSettings::merge(&[("flags", &flags), ("file", &file)]).unwrap();
        assert_eq!(merged.key, Some(KeySource::Jwks("flags.json".into())));
        assert_eq!(merged.issuer.as_deref(), Some("iss"));
        let both = AuthLayer {
            jwks_file: Some("a".into()),
            public_key: Some("b".into()),
            ..AuthLayer::default()
        };
        let error = AuthSettings::merge(&[("the settings file", &both)]).unwrap_err();
        assert!(
            error.to_string().contains("more than one JWT key"),
            "{error}"
        );
        let keyless = AuthLayer {
            audience: Some("aud".into()),
            ..AuthLayer::default()
        };
        assert!(AuthSettings::merge(&[("env", &keyless)]).is_err());
    }
}
