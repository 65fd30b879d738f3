//! Entity tags and the conditional headers that use them.
//!
//! The ETag of a revision is the reference's `"<revision_id>@<data_hash>"`: the revision id
//! alone already names one immutable revision, and the hash lets a client compare data across
//! resources. `If-Match` takes that tag or a bare revision id (the reference accepts both), so
//! it becomes the expected revision of a write; `If-None-Match` on a GET answers 304 when the
//! client's copy is current, and `If-None-Match: *` on a PUT means "create, never overwrite".

use http::HeaderMap;
use http::header::{IF_MATCH, IF_NONE_MATCH};

use crate::problem::Problem;

/// The tags listed in a header value, without `W/` and quotes; `*` stays `*`.
fn tags(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.strip_prefix("W/").unwrap_or(t))
        .map(|t| t.trim_matches('"'))
}

/// The revision named by an entity tag: what comes before `@`, or the whole tag.
fn revision_of_tag(tag: &str) -> &str {
    tag.split_once('@').map_or(tag, |(revision, _)| revision)
}

/// Reads a header as text.
fn header_text<'h>(
    headers: &'h HeaderMap,
    name: &http::HeaderName,
) -> Result<Option<&'h str>, Problem> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| Problem::invalid_query(format!("the {name} header is not text")))
        })
        .transpose()
}

/// The expected revision given by `If-Match`: `None` without the header or for `*` (any
/// current revision); otherwise the revision id (or bare number) in its one tag.
///
/// # Errors
/// 400 `invalid_query` when the header is not text or lists several tags.
pub(crate) fn if_match_revision(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = header_text(headers, &IF_MATCH)? else {
        return Ok(None);
    };
    let listed: Vec<&str> = tags(value).collect();
    match listed.as_slice() {
        [] | ["*"] => Ok(None),
        [tag] => Ok(Some(revision_of_tag(tag).to_owned())),
        _ => Err(Problem::invalid_query(
            "If-Match takes one entity tag (or revision id), not a list",
        )),
    }
}

/// Whether `If-None-Match` is `*`: the write may only create.
///
/// # Errors
/// 400 `invalid_query` when the header is not text.
pub(crate) fn if_none_match_any(headers: &HeaderMap) -> Result<bool, Problem> {
    Ok(header_text(headers, &IF_NONE_MATCH)?.is_some_and(|v| v.trim() == "*"))
}

/// Whether `If-None-Match` matches `etag` (as [`RevisionInfo::etag`] writes it), by weak
/// comparison: the client's copy is current, answer 304.
///
/// [`RevisionInfo::etag`]: specstar_core::RevisionInfo::etag
pub(crate) fn if_none_match_hits(headers: &HeaderMap, etag: &str) -> bool {
    let current = etag.trim_matches('"');
    let Some(Ok(value)) = headers.get(IF_NONE_MATCH).map(|v| v.to_str()) else {
        return false;
    };
    tags(value).any(|tag| tag == "*" || tag == current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(name: http::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn if_match_takes_a_tag_or_a_bare_revision() {
        let tag = headers(IF_MATCH, "\"issue:a:2@xxh3_128:00\"");
        assert_eq!(
            if_match_revision(&tag).unwrap().as_deref(),
            Some("issue:a:2")
        );
        let weak = headers(IF_MATCH, "W/\"issue:a:2@xxh3_128:00\"");
        assert_eq!(
            if_match_revision(&weak).unwrap().as_deref(),
            Some("issue:a:2")
        );
        let bare = headers(IF_MATCH, "issue:a:2");
        assert_eq!(
            if_match_revision(&bare).unwrap().as_deref(),
            Some("issue:a:2")
        );
        assert_eq!(if_match_revision(&headers(IF_MATCH, "*")).unwrap(), None);
        assert_eq!(if_match_revision(&HeaderMap::new()).unwrap(), None);
        assert!(if_match_revision(&headers(IF_MATCH, "\"a:b:1\", \"a:b:2\"")).is_err());
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let etag = "\"issue:a:2@xxh3_128:00\"";
        assert!(if_none_match_hits(&headers(IF_NONE_MATCH, etag), etag));
        assert!(if_none_match_hits(
            &headers(IF_NONE_MATCH, "\"x\", W/\"issue:a:2@xxh3_128:00\""),
            etag
        ));
        assert!(!if_none_match_hits(
            &headers(IF_NONE_MATCH, "\"issue:a:1@x\""),
            etag
        ));
        assert!(if_none_match_any(&headers(IF_NONE_MATCH, "*")).unwrap());
    }
}
