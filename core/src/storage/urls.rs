//! File URLs as the service hands them out (`downloadUrl`, `uploadUrl`), made into URLs
//! that can be sent. The official JS SDK applies `encodeURI` to a download URL, which
//! implies the service answers the object's path unencoded (docs/protocol/storage.md §1): a name
//! with a space, `%`, `#`, `?` or any non-ASCII character is then not a valid URL as
//! sent. Knowing the object's key (from its file id), the SDK encodes the key's
//! segments itself; a URL that does not contain the key raw is only made valid
//! (`encodeURI`'s rule), never re-encoded.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::request::COMPONENT;

/// What `encodeURI` encodes: controls, space, non-ASCII and `"<>\^`{|}`; it leaves
/// `%`, `/`, `?`, `#` and the other URL delimiters alone.
const URI: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The object key of a `cloud://{env}.{bucket}/{key}` file id.
pub(crate) fn key_of_file_id(file_id: &str) -> Option<&str> {
    let rest = file_id.strip_prefix("cloud://")?;
    let (_, key) = rest.split_once('/')?;
    (!key.is_empty()).then_some(key)
}

/// `url` with the object `key` percent-encoded segment by segment where it appears
/// raw (followed by the query, a fragment-looking `#` of the name itself, or the end);
/// otherwise `url` with only the characters no URL may hold encoded.
pub(crate) fn sendable(url: &str, key: Option<&str>) -> String {
    if let Some(key) = key {
        let raw = format!("/{key}");
        // The last occurrence: the key ends the path, before the signature's query.
        if let Some(at) = url.rfind(&raw) {
            let after = &url[at + raw.len()..];
            if after.is_empty() || after.starts_with('?') {
                let encoded: Vec<String> = key
                    .split('/')
                    .map(|s| utf8_percent_encode(s, COMPONENT).to_string())
                    .collect();
                return format!("{}/{}{after}", &url[..at], encoded.join("/"));
            }
        }
    }
    utf8_percent_encode(url, URI).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_keys_are_encoded_and_encoded_urls_kept() {
        let id = |k: &str| format!("cloud://env.6465-env-1/{k}");
        for (key, path) in [
            ("b/hello world.txt", "b/hello%20world.txt"),
            ("b/a#b?c.txt", "b/a%23b%3Fc.txt"),
            ("b/100%.txt", "b/100%25.txt"),
            ("b/中文 🦀.txt", "b/%E4%B8%AD%E6%96%87%20%F0%9F%A6%80.txt"),
        ] {
            let file_id = id(key);
            let raw = format!("http://h:1/cos/{key}?sign=s&t=1");
            assert_eq!(
                sendable(&raw, key_of_file_id(&file_id)),
                format!("http://h:1/cos/{path}?sign=s&t=1"),
                "{key}"
            );
            // Already encoded by the server: kept as it is.
            let encoded = format!("http://h:1/cos/{path}?sign=s&t=1");
            assert_eq!(sendable(&encoded, key_of_file_id(&file_id)), encoded);
        }
        assert_eq!(
            sendable("http://h/x y?a=b c", None),
            "http://h/x%20y?a=b%20c"
        );
        assert_eq!(key_of_file_id("cloud://env.b/"), None);
        assert_eq!(key_of_file_id("cloud://env.b/k/x"), Some("k/x"));
    }
}
