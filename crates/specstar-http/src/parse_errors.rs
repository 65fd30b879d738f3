//! Requests hyper cannot parse get problems too. hyper answers them itself, before any layer
//! of ours runs, with a bare head and no body: 400 (a malformed request line or header), 414
//! (a request target over 65,534 bytes, its fixed limit) and 431 (headers over its buffer).
//! A connection's writes ([`crate::accept`] wraps each) pass through [`ProblemIo`], which swaps such a head for the same
//! status as an RFC 9457 problem. hyper closes the connection right after, so the longer
//! answer cannot shift any framing.
//!
//! The head is told apart from every answer of ours by its shape: a client error status with
//! `content-length: 0` and no content type. Every client error the API answers carries a
//! problem body.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose writes of hyper's bare error heads become problems.
pub(crate) struct ProblemIo<T> {
    inner: T,
    /// A problem still to write in place of the head hyper wrote (and was told was written).
    pending: Vec<u8>,
    written: usize,
}

impl<T> ProblemIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> ProblemIo<T> {
    /// Writes what is pending; ready once nothing is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        if let Some(problem) = problem_for(buf) {
            self.pending = problem;
            // The head counts as written; the problem goes out in its place.
            let _ = self.drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        let first = bufs.iter().find(|b| !b.is_empty());
        if let Some(problem) = first.and_then(|b| problem_for(b)) {
            self.pending = problem;
            let _ = self.drain(cx)?;
            return Poll::Ready(Ok(first.map_or(0, |b| b.len())));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The problem answer for `bytes` when they are exactly one of hyper's bare error heads.
fn problem_for(bytes: &[u8]) -> Option<Vec<u8>> {
    let (code, title, detail) = match bytes.get(..13)? {
        b"HTTP/1.1 400 " => (
            "bad_request",
            "Bad request",
            "the request is not well-formed HTTP/1.1",
        ),
        b"HTTP/1.1 414 " => (
            "uri_too_long",
            "URI too long",
            "the request target is longer than the server takes (65,534 bytes)",
        ),
        b"HTTP/1.1 431 " => (
            "headers_too_large",
            "Request header fields too large",
            "the request's headers are larger than the server takes",
        ),
        _ => return None,
    };
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    if end != bytes.len()
        || !head.contains("\r\ncontent-length: 0\r\n")
        || head.contains("\r\ncontent-type:")
    {
        return None;
    }
    let status = &head[9..12];
    let body = serde_json::json!({
        "type": format!("urn:specstar:problem:{code}"),
        "title": title,
        "status": status.parse::<u16>().ok()?,
        "detail": detail,
        "code": code,
    })
    .to_string();
    let status_line =
        String::from_utf8_lossy(&bytes[..bytes.windows(2).position(|w| w == b"\r\n")?])
            .into_owned();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bare_error_heads_are_swapped() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let swapped = String::from_utf8(problem_for(bare).unwrap()).unwrap();
        assert!(
            swapped.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
            "{swapped}"
        );
        let (head, body) = swapped.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains("content-type: application/problem+json"),
            "{head}"
        );
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["status"], 414);
        assert_eq!(body["code"], "uri_too_long");
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n";
        assert!(problem_for(ours).is_none());
        let with_body = b"HTTP/1.1 431 x\r\ncontent-length: 0\r\n\r\n{}";
        assert!(problem_for(with_body).is_none());
        assert!(problem_for(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
