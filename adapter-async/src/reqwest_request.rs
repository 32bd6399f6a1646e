//! The core's `http::Request` as reqwest's `Request`.
//!
//! reqwest's own conversion (`TryFrom<http::Request>`) formats the whole URI and
//! parses it again as a `Url`: host and all, about 10k instructions a call (callgrind,
//! bench `rest-hand`), a tenth of a small call's client-side cost. Every gateway
//! request goes to one origin, so its `Url` is parsed once and only the path and
//! query are set per call — through the same `url` parser routines a full parse
//! runs, so the result is the same `Url` (tested against `Url::parse` below).
//! Any other origin (a storage upload URL) takes reqwest's conversion.
//!
//! Setting a path and query still parses them (~3.4k instructions); most calls
//! repeat a URL (the same function, the same query), so recent ones are kept in
//! [`RECENT_URLS`] slots and cloned (the whole conversion: 4.2k → 1.1k instructions a
//! call, callgrind `rest-hand`). A slot is chosen from the key's length and last
//! bytes, not a full hash (SipHash over the path cost ~0.2k a call): two
//! keys that share a slot take turns, and a key is always compared whole.

use std::sync::Mutex;

use reqwest::Url;

/// Slots for recent path-and-query strings and their `Url`s: a fixed number, so
/// memory stays bounded whatever the URLs.
const RECENT_URLS: usize = 64;
/// Longer paths and queries are not kept (each entry holds two copies).
const RECENT_MAX_LEN: usize = 512;

/// The gateway's origin, parsed once.
#[derive(Debug)]
pub(crate) struct Origin {
    /// `scheme://authority/` with nothing else.
    url: Url,
    /// The authority exactly as `Url` writes it (the core writes the same text).
    authority: String,
    /// Recent path-and-query strings and their `Url`s, by [`slot`].
    recent: Mutex<Vec<Option<Kept>>>,
}

/// A path-and-query string and its `Url`.
type Kept = (Box<str>, Url);

/// The slot of `key`: its length and its last eight bytes (where paths differ).
fn slot(key: &str) -> usize {
    let bytes = key.as_bytes();
    let tail = &bytes[bytes.len().saturating_sub(8)..];
    let mixed = tail.iter().fold(bytes.len() as u64, |h, &b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    (mixed % RECENT_URLS as u64) as usize
}

impl Origin {
    /// The origin of `base` (its path, if any, is part of each request's path).
    pub(crate) fn new(base: &Url) -> Option<Self> {
        let host = base.host_str()?;
        let authority = match base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let mut url = base.clone();
        url.set_path("/");
        url.set_query(None);
        url.set_fragment(None);
        // Only an origin whose text is `scheme://authority/` is used as a template.
        (base.username().is_empty()
            && base.password().is_none()
            && url.as_str() == format!("{}://{authority}/", base.scheme()))
        .then(|| Self {
            url,
            authority,
            recent: Mutex::new(vec![None; RECENT_URLS]),
        })
    }

    /// The `Url` of `uri` from this template, or `None` when `uri` is elsewhere.
    fn url_of(&self, uri: &http::Uri) -> Option<Url> {
        if uri.scheme_str() != Some(self.url.scheme())
            || uri.authority().map(http::uri::Authority::as_str) != Some(self.authority.as_str())
        {
            return None;
        }
        let key = uri.path_and_query().map_or("/", |p| p.as_str());
        let kept = (key.len() <= RECENT_MAX_LEN).then(|| slot(key));
        // A poisoned lock only means another call panicked mid-write: skip the slots.
        if let Some(i) = kept
            && let Some(url) = self.recent.lock().ok().and_then(|r| match r.get(i) {
                Some(Some((k, url))) if **k == *key => Some(url.clone()),
                _ => None,
            })
        {
            return Some(url);
        }
        let mut url = self.url.clone();
        url.set_path(uri.path());
        url.set_query(uri.query());
        if let Some(i) = kept
            && let Ok(mut recent) = self.recent.lock()
            && let Some(entry) = recent.get_mut(i)
        {
            *entry = Some((key.into(), url.clone()));
        }
        Some(url)
    }
}

/// The request as reqwest's, its URL from `origin` when it is the gateway's. An
/// empty body is no body (see the caller).
pub(crate) fn convert(
    origin: Option<&Origin>,
    request: http::Request<Vec<u8>>,
) -> Result<reqwest::Request, reqwest::Error> {
    let Some(url) = origin.and_then(|o| o.url_of(request.uri())) else {
        return reqwest::Request::try_from(request);
    };
    let (parts, body) = request.into_parts();
    let mut converted = reqwest::Request::new(parts.method, url);
    *converted.headers_mut() = parts.headers;
    *converted.version_mut() = parts.version;
    *converted.body_mut() = Some(body.into());
    Ok(converted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn via_reqwest(uri: &str) -> Url {
        let request = http::Request::get(uri).body(Vec::new()).expect("request");
        reqwest::Request::try_from(request)
            .expect("reqwest")
            .url()
            .clone()
    }

    fn via_origin(origin: &Origin, uri: &str) -> Option<Url> {
        let request = http::Request::get(uri).body(Vec::new()).expect("request");
        convert(Some(origin), request).ok().map(|r| r.url().clone())
    }

    #[test]
    fn the_template_gives_the_url_a_full_parse_gives() {
        for base in [
            "http://127.0.0.1:8787/",
            "https://env-1.api.tcloudbasegateway.com/",
            "https://proxy.example/cb/",
            "http://[::1]:9000/",
            "http://localhost/",
        ] {
            let origin = Origin::new(&Url::parse(base).expect("base")).expect("origin");
            let root = origin.url.as_str().trim_end_matches('/').to_owned();
            for path in [
                "/",
                "/v1/functions/echo",
                "/v1/rdb/rest/course?select=id%2Cname&grade=eq.3",
                "/a/./b/../c?x=1&y=%20z",
                "/%E4%B8%AD/%2F?q=%E4%B8%AD&",
                "/p?",
                "/p?a=b?c",
                "/~user/!$&'()*+,;=:@/x?k=[1]{2}|3^`",
                "/cb/auth/v1/signin",
            ] {
                let uri = format!("{root}{path}");
                assert_eq!(via_origin(&origin, &uri), Some(via_reqwest(&uri)), "{uri}");
            }
        }
    }

    proptest::proptest! {
        /// Any path and query `http::Uri` accepts gives the same `Url` both ways
        /// (dot segments, percent escapes, characters the URL parser encodes).
        #[test]
        fn any_path_and_query_gives_the_same_url(
            path in r"(/[a-zA-Z0-9._~%!$&'()*+,;=:@\[\]|^`{}-]{0,12}|/\.\.?){0,6}",
            query in proptest::option::of(r"[a-zA-Z0-9._~%!$&'()*+,;=:@/?\[\]|^`{}-]{0,24}"),
        ) {
            let origin = Origin::new(&Url::parse("http://127.0.0.1:8787/").expect("base")).expect("o");
            let uri = match &query {
                Some(q) => format!("http://127.0.0.1:8787{path}?{q}"),
                None => format!("http://127.0.0.1:8787{path}"),
            };
            if let Ok(parsed) = uri.parse::<http::Uri>() {
                let expected = reqwest::Request::try_from(
                    http::Request::get(parsed.clone()).body(Vec::<u8>::new()).expect("request"),
                )
                .map(|r| r.url().clone());
                let ours = origin.url_of(&parsed);
                if let Ok(expected) = expected {
                    proptest::prop_assert_eq!(ours, Some(expected), "{}", uri);
                }
            }
        }
    }

    #[test]
    fn a_kept_url_is_the_one_its_text_gives_and_the_slots_stay_bounded() {
        let origin = Origin::new(&Url::parse("http://127.0.0.1:8787/").expect("base")).expect("o");
        for round in 0..3 {
            for i in 0..(RECENT_URLS * 2 + 3) {
                let uri = format!(
                    "http://127.0.0.1:8787/v1/functions/f{i}?round={}",
                    round % 2
                );
                // The second is served from the map.
                for _ in 0..2 {
                    assert_eq!(via_origin(&origin, &uri), Some(via_reqwest(&uri)), "{uri}");
                }
                let recent = origin.recent.lock().expect("lock");
                assert_eq!(recent.len(), RECENT_URLS);
                let kept = recent.iter().flatten().count();
                assert!((1..=RECENT_URLS).contains(&kept), "{kept}");
            }
        }
        let long = format!("http://127.0.0.1:8787/{}", "a".repeat(RECENT_MAX_LEN + 1));
        let before = origin.recent.lock().expect("lock").clone();
        assert_eq!(via_origin(&origin, &long), Some(via_reqwest(&long)));
        assert_eq!(*origin.recent.lock().expect("lock"), before);
    }

    #[test]
    fn another_origin_takes_reqwests_conversion() {
        let origin = Origin::new(&Url::parse("http://127.0.0.1:8787/").expect("base")).expect("o");
        for uri in [
            "http://127.0.0.1:8788/x",
            "https://127.0.0.1:8787/x",
            "http://example.com/x?y=1",
        ] {
            assert_eq!(origin.url_of(&uri.parse().expect("uri")), None, "{uri}");
            assert_eq!(via_origin(&origin, uri), Some(via_reqwest(uri)), "{uri}");
        }
    }

    #[test]
    fn headers_version_and_body_are_carried() {
        let origin = Origin::new(&Url::parse("http://127.0.0.1:1/").expect("base")).expect("o");
        let request = http::Request::post("http://127.0.0.1:1/v1/x")
            .version(http::Version::HTTP_11)
            .header("authorization", "Bearer t")
            .header("x-request-id", "r")
            .body(b"{}".to_vec())
            .expect("request");
        let converted = convert(Some(&origin), request).expect("converted");
        assert_eq!(converted.method(), http::Method::POST);
        assert_eq!(converted.headers()["authorization"], "Bearer t");
        assert_eq!(converted.headers()["x-request-id"], "r");
        assert_eq!(converted.version(), http::Version::HTTP_11);
        assert_eq!(
            converted.body().and_then(reqwest::Body::as_bytes),
            Some(&b"{}"[..])
        );
    }
}
