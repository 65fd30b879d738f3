//! The admin UI at `/_/`: a single-page app of ES modules with a vendored Preact and htm (the
//! crate's `ui/` folder, no build step), compiled into the binary, so it works offline and
//! `cargo build` needs no Node toolchain. It talks only to the public REST API, as any client
//! would: it honours permissions, and works against any store.
//!
//! Every path under `/_/` is a page a person can bookmark (`/_/issue/<id>/diff/1/3`): the
//! server answers the app for all of them and the app reads the path; `/_/assets/…` are its
//! files. The page's `<base>` is the UI's root as the client sees it, so the app finds its
//! assets and the API wherever the router is mounted (`.nest("/api", router)` serves
//! `/api/_/`, whose API is `/api/`).

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, StatusCode};

use crate::docs::escape_html;
use crate::problem::Problem;

/// One file of the app.
struct Asset {
    name: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
}

macro_rules! assets {
    ($($name:literal => $type:expr),* $(,)?) => {
        &[$(Asset {
            name: $name,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/", $name)),
            content_type: $type,
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// The app's files, served under `/_/assets/`.
const ASSETS: &[Asset] = assets! {
    "app.mjs" => JS,
    "api.mjs" => JS,
    "components.mjs" => JS,
    "editor.mjs" => JS,
    "format.mjs" => JS,
    "live.mjs" => JS,
    "router.mjs" => JS,
    "pages/diff.mjs" => JS,
    "pages/models.mjs" => JS,
    "pages/resource.mjs" => JS,
    "pages/resources.mjs" => JS,
    "vendor/preact-htm.mjs" => JS,
    "style.css" => "text/css; charset=utf-8",
};

/// The page every UI path answers, `{base}` and `{title}` filled in.
const PAGE: &str = include_str!("../ui/index.html");

/// Scripts, styles and requests of the page's own origin only; no frames, no inline script.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'self'; frame-ancestors 'none'; \
    form-action 'self'";

/// The routes of `/_`, `/_/` and everything under it; pages titled `title`.
pub(crate) fn routes(title: &str) -> Router {
    let title = escape_html(title);
    let page = move |original: OriginalUri, request: Request| {
        let title = title.clone();
        async move { answer(&title, &original, &request) }
    };
    Router::new()
        // Relative, so that it works under any mount point: `/api/_` goes to `/api/_/`.
        .route("/_", get(|| async { Redirect::permanent("_/") }))
        .route("/_/", get(page.clone()))
        .route("/_/{*rest}", get(page))
}

/// An asset, or the page.
fn answer(title: &str, original: &OriginalUri, request: &Request) -> Response {
    let inner = request.uri().path();
    if let Some(name) = inner.strip_prefix("/_/assets/") {
        return asset(name);
    }
    let outer = original.path();
    let prefix = outer.strip_suffix(inner).unwrap_or("");
    let base = escape_html(&format!("{prefix}/_/"));
    let html = PAGE.replace("{base}", &base).replace("{title}", title);
    let mut response = ([(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn asset(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found",
            format!("the admin UI has no file {name:?}"),
        )
        .into_response();
    };
    let mut response = ([(CONTENT_TYPE, asset.content_type)], asset.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_app_imports_is_served() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".mjs")) {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            for import in text.split("from \"").skip(1) {
                let target = import.split('"').next().unwrap();
                let dir = asset.name.rsplit_once('/').map_or("", |(d, _)| d);
                let joined = normalize(&format!("{dir}/{target}"));
                assert!(
                    ASSETS.iter().any(|a| a.name == joined),
                    "{} imports {target} ({joined}), which is not served",
                    asset.name
                );
            }
        }
    }

    /// `pages/../api.mjs` → `api.mjs`, `./x` → `x`.
    fn normalize(path: &str) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts.join("/")
    }
}
