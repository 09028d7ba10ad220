//! URI and path helpers for schema locations, plus decoding of document bytes to text.
//!
//! Locations are kept as URI strings (`file:///dir/a.xsd`, `http://host/a.xsd`) while they
//! are resolved, so relative references inside a document that was mapped from an `http:`
//! URL can be resolved against that URL and looked up in the catalog again.

use std::path::{Component, Path, PathBuf};

/// True when `s` starts with a URI scheme (`http:`, `file:`, `urn:`), not a drive letter.
pub(crate) fn has_scheme(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    let scheme = &s[..colon];
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The `file:` URI of the directory holding `path`, with a trailing slash.
pub(crate) fn file_uri_dir(path: &Path) -> String {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let mut s = format!("file://{}", dir.display());
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// The `file:` URI of `path`.
pub(crate) fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Resolves `reference` against `base` (RFC 3986 section 5.2, without query/fragment care:
/// schema locations do not use them).
pub(crate) fn join_uri(base: &str, reference: &str) -> String {
    if has_scheme(reference) {
        return reference.to_owned();
    }
    let (prefix, base_path) = split_authority(base);
    let merged = if reference.starts_with('/') {
        reference.to_owned()
    } else {
        let dir = match base_path.rfind('/') {
            Some(i) => &base_path[..=i],
            None => "",
        };
        format!("{dir}{reference}")
    };
    format!("{prefix}{}", remove_dot_segments(&merged))
}

/// Splits `scheme://authority` (or `scheme:`) from the path part.
fn split_authority(uri: &str) -> (&str, &str) {
    if !has_scheme(uri) {
        return ("", uri);
    }
    let colon = uri.find(':').unwrap_or(0);
    let after = &uri[colon + 1..];
    if let Some(rest) = after.strip_prefix("//") {
        let end = rest.find('/').map_or(uri.len(), |i| colon + 3 + i);
        (&uri[..end], &uri[end..])
    } else {
        (&uri[..=colon], after)
    }
}

fn remove_dot_segments(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.last().is_some_and(|s| !s.is_empty() || out.len() > 1) {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Maps a `file:` URI or a plain path to a local path; any other scheme is not local.
pub(crate) fn uri_to_path(uri: &str) -> Option<PathBuf> {
    if let Some(rest) = uri.strip_prefix("file:") {
        let rest = rest.strip_prefix("//localhost").unwrap_or(rest);
        let rest = match rest.strip_prefix("//") {
            Some(r) => r,
            None => rest,
        };
        let decoded = percent_decode(rest);
        let p = if decoded.starts_with('/') {
            decoded
        } else {
            format!("/{decoded}")
        };
        return Some(normalize_path(Path::new(&p)));
    }
    if has_scheme(uri) {
        return None;
    }
    Some(normalize_path(Path::new(&percent_decode(uri))))
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes.get(i),
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (Some(b'%'), Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (Some(&b), _, _) => {
                out.push(b);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// Lexical normalization (`a/./b/../c` -> `a/c`) without touching the file system.
pub(crate) fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Decodes document bytes: UTF-8 (with or without BOM), UTF-16 with BOM, and the single-byte
/// encodings ISO-8859-1 / US-ASCII when the XML declaration names them.
/// Takes the bytes by value: UTF-8 without a BOM, the common case, is then checked in place
/// instead of copied (schema sets such as XBau are about a megabyte of text).
pub(crate) fn decode(mut bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
        return utf8(bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    if declared_latin1(&bytes) {
        return Ok(bytes.iter().map(|&b| char::from(b)).collect());
    }
    utf8(bytes)
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (byte offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn utf16(bytes: &[u8], f: fn([u8; 2]) -> u16) -> Result<String, String> {
    let units = bytes.chunks_exact(2).map(|c| f([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| "not valid UTF-16".to_owned())
}

fn declared_latin1(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(200)];
    if !head.starts_with(b"<?xml") {
        return false;
    }
    let end = head
        .windows(2)
        .position(|w| w == b"?>")
        .unwrap_or(head.len());
    let decl = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    ["iso-8859-1", "latin1", "iso_8859-1", "us-ascii", "ascii"]
        .iter()
        .any(|enc| decl.contains(&format!("\"{enc}\"")) || decl.contains(&format!("'{enc}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_handles_dots_and_absolute_references() {
        assert_eq!(join_uri("file:///a/b/c.xsd", "../d.xsd"), "file:///a/d.xsd");
        assert_eq!(join_uri("file:///a/b/", "./x/y.xsd"), "file:///a/b/x/y.xsd");
        assert_eq!(
            join_uri("http://h/x/y/z.xsd", "../q.xsd"),
            "http://h/x/q.xsd"
        );
        assert_eq!(join_uri("http://h/x/y.xsd", "/r.xsd"), "http://h/r.xsd");
        assert_eq!(join_uri("file:///a/b.xsd", "urn:x"), "urn:x");
        assert_eq!(join_uri("file:///a/", "../../../x.xsd"), "file:///x.xsd");
    }

    #[test]
    fn file_uris_map_to_paths_and_others_do_not() {
        assert_eq!(
            uri_to_path("file:///a/b%20c.xsd"),
            Some(PathBuf::from("/a/b c.xsd"))
        );
        assert_eq!(
            uri_to_path("file://localhost/a.xsd"),
            Some(PathBuf::from("/a.xsd"))
        );
        assert_eq!(uri_to_path("http://h/a.xsd"), None);
        assert_eq!(uri_to_path("rel/../a.xsd"), Some(PathBuf::from("a.xsd")));
        assert!(!has_scheme("C:\\x"));
        assert!(has_scheme("urn:x"));
    }

    #[test]
    fn decodes_boms_and_latin1() {
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>".to_vec()), Ok("<a/>".to_owned()));
        assert_eq!(
            decode(vec![0xFF, 0xFE, b'<', 0, b'a', 0, b'/', 0, b'>', 0]),
            Ok("<a/>".to_owned())
        );
        assert_eq!(
            decode(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xE4</a>".to_vec()),
            Ok("<?xml version='1.0' encoding='ISO-8859-1'?><a>\u{e4}</a>".to_owned())
        );
        assert!(decode(b"<a>\xE4</a>".to_vec()).is_err());
    }
}
