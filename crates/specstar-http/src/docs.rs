//! The `/docs` page: Swagger UI, its assets compiled into the binary (`swagger-ui-dist`), so it
//! works offline.
//!
//! The page is ours rather than the crate's because every URL in it is relative: the assets
//! and `openapi.json` are found beside the page wherever the router is mounted
//! (`Router::new().nest("/api", spec.router())` serves `/api/docs`, which loads
//! `/api/openapi.json`), also behind a proxy that strips a prefix.

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse};

/// The routes of `/docs`, `/docs/` and their assets; the page is titled `title`.
pub(crate) fn routes(title: &str) -> Router {
    let title = escape_html(title);
    let assets = swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
        uri_prefix: "/docs",
        api_definition: swagger_ui_dist::OpenApiSource::Uri("openapi.json"),
        title: None,
    });
    assets.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let title = title.clone();
            async move {
                match request.uri().path() {
                    "/docs" => Html(page(&title, "docs/", "openapi.json")).into_response(),
                    "/docs/" => Html(page(&title, "", "../openapi.json")).into_response(),
                    _ => next.run(request).await,
                }
            }
        },
    ))
}

/// The page, its assets at `{assets}swagger-ui…` and the document at `spec`, both relative.
fn page(title: &str, assets: &str, spec: &str) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{title}</title>
<link rel="stylesheet" href="{assets}swagger-ui.css" />
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script>
window.onload = () => {{
  window.ui = SwaggerUIBundle({{ url: new URL("{spec}", window.location.href).href, dom_id: "#swagger-ui" }});
}};
</script>
</body>
</html>"##
    )
}

/// `text` safe inside HTML text and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_escaped() {
        let html = page(&escape_html("<b>\"x\" & y</b>"), "docs/", "openapi.json");
        assert!(html.contains("<title>&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;</title>"));
        assert!(html.contains(r#"href="docs/swagger-ui.css""#));
    }
}
