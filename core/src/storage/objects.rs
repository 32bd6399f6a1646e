//! The bucket/object API (docs/protocol/storage.md §3, the JS SDK's `app.storage.from(bucket)`):
//! `/v1/storages/object/...` with the session's bearer.

use http::Method;
use http::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Downloaded;
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestSpec};
use crate::response::decode_json;

/// Checks a bucket id as the JS SDK does: 1–256 characters, no control characters,
/// whitespace, `/`, `\`, `?`, `#` or `%`.
///
/// ```
/// use cloudbase_core::storage::objects::validate_bucket_id;
/// assert!(validate_bucket_id("avatars").is_ok());
/// assert!(validate_bucket_id("a/b").is_err());
/// ```
pub fn validate_bucket_id(bucket: &str) -> Result<(), BuildError> {
    let invalid = |rule| BuildError::InvalidName {
        what: "bucket id",
        value: bucket.to_owned(),
        rule,
    };
    if bucket.is_empty() || bucket.chars().count() > 256 {
        return Err(invalid("must be 1 to 256 characters long"));
    }
    if bucket
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "/\\?#%".contains(c))
    {
        return Err(invalid(
            "must not contain whitespace, control characters or / \\ ? # %",
        ));
    }
    // A dot segment in the URL path would be resolved away by any proxy on the way.
    if bucket == "." || bucket == ".." {
        return Err(invalid("must not be `.` or `..`"));
    }
    Ok(())
}

/// Normalises an object name as the JS SDK does — leading, trailing and repeated `/`
/// removed — and refuses `.`/`..` segments, control characters and empty names.
///
/// ```
/// use cloudbase_core::storage::objects::normalize_object_name;
/// assert_eq!(normalize_object_name("/dir//a b.txt/")?, "dir/a b.txt");
/// assert!(normalize_object_name("dir/../x").is_err());
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
pub fn normalize_object_name(name: &str) -> Result<String, BuildError> {
    let invalid = |rule| BuildError::InvalidName {
        what: "object name",
        value: name.to_owned(),
        rule,
    };
    if name.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    let segments: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(invalid("must not contain '.' or '..' segments"));
    }
    Ok(segments.join("/"))
}

/// A spec for `/v1/storages/object/<fixed>/<bucket>/<name segments…>`, each segment
/// percent-encoded.
fn object_spec(method: Method, fixed: &str, bucket: &str, name: Option<&str>) -> RequestSpec {
    let mut spec = RequestSpec::new(Api::Gateway, method, Access::Bearer)
        .path("storages/object")
        .path(fixed)
        .segment(bucket);
    for segment in name.into_iter().flat_map(|n| n.split('/')) {
        spec = spec.segment(segment);
    }
    spec
}

fn json_spec(spec: RequestSpec, body: &serde_json::Value) -> RequestSpec {
    spec.json_body(body.to_string().into_bytes(), "application/json")
}

/// Where a stored object lives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredObject {
    /// The object id (`Id`), when the service returns one.
    pub id: Option<String>,
    /// The object name within the bucket.
    pub path: String,
    /// `<bucket>/<name>` (`Key`).
    pub full_path: String,
}

/// An object's metadata (`GET /object/info/...`); fields the service leaves out are
/// `None`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ObjectInfo {
    /// Object id.
    pub id: Option<String>,
    /// Object name.
    pub name: Option<String>,
    /// Bucket id.
    pub bucket_id: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// MIME type.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// Entity tag.
    pub etag: Option<String>,
    /// Last change.
    pub last_modified: Option<String>,
    /// Creation.
    pub created_at: Option<String>,
    /// User metadata.
    pub metadata: Option<serde_json::Value>,
}

/// One page of `list`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ObjectList {
    /// Folder entries (with a delimiter).
    pub folders: Vec<serde_json::Value>,
    /// Objects.
    pub objects: Vec<ObjectInfo>,
    /// Whether there is another page.
    pub has_next: bool,
    /// The cursor for the next page.
    pub next_cursor: Option<String>,
}

/// Reads an answer, given the object name and the `…/v1/storages` base URL.
type Decode<T> = fn(HttpResponse, &str, &str) -> Result<T, Error>;

/// One bucket/object API call, built by [`Bucket`]'s methods.
#[derive(Debug)]
#[must_use]
pub struct ObjectCall<T> {
    spec: RequestSpec,
    idempotent: bool,
    decode: Decode<T>,
    /// The object name, for results that echo it.
    name: String,
}

impl<T> ObjectCall<T> {
    fn new(spec: RequestSpec, idempotent: bool, name: String, decode: Decode<T>) -> Self {
        Self {
            spec,
            idempotent,
            decode,
            name,
        }
    }
}

impl<T> OneShot for ObjectCall<T> {
    type Output = T;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(self.spec.clone())
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    fn parse(&self, response: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<T, Error> {
        // Relative signed URLs resolve against `…/v1/storages`.
        let base = format!("{}v1/storages", cx.config.gateway_origin().as_str());
        (self.decode)(response, &self.name, &base)
    }
}

/// A signed URL as answered: absolute as it is, relative resolved against
/// `…/v1/storages`.
fn resolve_signed(base: &str, relative: &str) -> String {
    if relative.starts_with("http") {
        return relative.to_owned();
    }
    let slash = if relative.starts_with('/') { "" } else { "/" };
    format!("{base}{slash}{relative}")
}

/// One entry of [`Bucket::create_signed_urls`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedUrl {
    /// The object name, as the service echoed it.
    pub path: String,
    /// The URL, or the service's error for this name (e.g. no such object).
    pub url: Result<String, String>,
}

fn json<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    Ok(decode_json(response.status(), response.body())?)
}

fn stored(response: HttpResponse, name: &str, _base: &str) -> Result<StoredObject, Error> {
    #[derive(Deserialize)]
    struct Reply {
        #[serde(rename = "Id", alias = "id")]
        id: Option<String>,
        #[serde(rename = "Key", alias = "key")]
        key: String,
    }
    let reply: Reply = json(&response)?;
    Ok(StoredObject {
        id: reply.id,
        path: name.to_owned(),
        full_path: reply.key,
    })
}

/// How an object is stored by [`Bucket::upload`] and [`Bucket::update`].
#[derive(Clone, Debug)]
#[non_exhaustive]
#[must_use]
pub struct ObjectOptions {
    /// MIME type (default `application/octet-stream`; the JS SDK's default is
    /// `text/plain;charset=UTF-8`, which suits only its string uploads).
    pub content_type: String,
    /// `Cache-Control: max-age=<seconds>` (default 3600, as the JS SDK).
    pub cache_control_secs: u64,
    /// Replace an existing object on upload (`x-upsert: true`; default false).
    pub upsert: bool,
}

impl Default for ObjectOptions {
    fn default() -> Self {
        Self {
            content_type: "application/octet-stream".into(),
            cache_control_secs: 3600,
            upsert: false,
        }
    }
}

impl ObjectOptions {
    /// Sets the MIME type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// Replaces an existing object on upload.
    pub fn upsert(mut self) -> Self {
        self.upsert = true;
        self
    }
}

/// What to list of a bucket: a prefix, optionally a page size and where the
/// previous page ended (`ObjectList`'s `next_cursor`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Listing {
    prefix: String,
    limit: Option<u32>,
    cursor: Option<String>,
}

impl Listing {
    /// The objects under `prefix` (`""`: all).
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..Self::default()
        }
    }

    /// At most `n` per page.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Continue after `cursor`.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }
}

/// One bucket of the object API. Each method checks its input and returns an
/// operation for the client's `execute` (or `execute_transfer` for bodies).
///
/// ```
/// use cloudbase_core::storage::objects::{Bucket, ObjectOptions};
///
/// let bucket = Bucket::new("avatars")?;
/// let upload = bucket.upload("users/42.png", 2_048, &ObjectOptions::default().content_type("image/png"))?;
/// let info = bucket.info("users/42.png")?;
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    id: String,
}

impl Bucket {
    /// The bucket `id` (checked).
    pub fn new(id: &str) -> Result<Self, BuildError> {
        validate_bucket_id(id)?;
        Ok(Self { id: id.to_owned() })
    }

    /// The bucket id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn put_like(
        &self,
        method: Method,
        name: &str,
        len: u64,
        options: &ObjectOptions,
        upsert: Option<bool>,
    ) -> Result<ObjectCall<StoredObject>, BuildError> {
        let name = normalize_object_name(name)?;
        let content_type = HeaderValue::from_str(&options.content_type)
            .map_err(|_| BuildError::InvalidHeader("content-type".into()))?;
        let mut spec = object_spec(method, "", &self.id, Some(&name))
            .streamed_body(len, content_type)
            .header(
                http::header::CACHE_CONTROL,
                HeaderValue::from_str(&format!("max-age={}", options.cache_control_secs))
                    .map_err(|_| BuildError::InvalidHeader("cache-control".into()))?,
            );
        if let Some(upsert) = upsert {
            spec = spec.header(
                HeaderName::from_static("x-upsert"),
                HeaderValue::from_static(if upsert { "true" } else { "false" }),
            );
        }
        // Idempotent only when it replaces: a second plain upload would fail as a
        // duplicate after the first one succeeded.
        let idempotent = upsert != Some(false);
        Ok(ObjectCall::new(spec, idempotent, name, stored))
    }

    /// Uploads `len` bytes (the transfer's source) as `name`:
    /// `POST /object/{bucket}/{name}` with `x-upsert`.
    pub fn upload(
        &self,
        name: &str,
        len: u64,
        options: &ObjectOptions,
    ) -> Result<ObjectCall<StoredObject>, BuildError> {
        self.put_like(Method::POST, name, len, options, Some(options.upsert))
    }

    /// Replaces `name` with `len` bytes: `PUT /object/{bucket}/{name}`.
    pub fn update(
        &self,
        name: &str,
        len: u64,
        options: &ObjectOptions,
    ) -> Result<ObjectCall<StoredObject>, BuildError> {
        self.put_like(Method::PUT, name, len, options, None)
    }

    /// Downloads `name` into memory (`GET /object/{bucket}/{name}`).
    pub fn download(&self, name: &str) -> Result<ObjectCall<Downloaded>, BuildError> {
        let name = normalize_object_name(name)?;
        let spec = object_spec(Method::GET, "", &self.id, Some(&name));
        Ok(ObjectCall::new(spec, true, name, |r, _, _| {
            Ok(Downloaded::from_response(r))
        }))
    }

    /// Downloads `name`, streamed to the transfer's sink.
    pub fn download_to_file(&self, name: &str) -> Result<ObjectCall<Downloaded>, BuildError> {
        let mut call = self.download(name)?;
        call.spec = call.spec.streamed_response();
        Ok(call)
    }

    /// A URL anyone can GET for `expires_in_secs` seconds
    /// (`POST /object/sign/{bucket}/{name}`); relative answers are resolved against
    /// `…/v1/storages`.
    pub fn create_signed_url(
        &self,
        name: &str,
        expires_in_secs: u64,
    ) -> Result<ObjectCall<String>, BuildError> {
        let name = normalize_object_name(name)?;
        if expires_in_secs == 0 {
            return Err(BuildError::InvalidInput {
                field: "expires_in",
                reason: "must be at least one second".into(),
            });
        }
        let spec = json_spec(
            object_spec(Method::POST, "sign", &self.id, Some(&name)),
            &serde_json::json!({ "expiresIn": expires_in_secs }),
        );
        let call = ObjectCall::new(spec, true, String::new(), |r, _, base| {
            #[derive(Deserialize)]
            struct Reply {
                #[serde(rename = "signedURL")]
                signed_url: Option<String>,
                #[serde(rename = "fullSignedURL")]
                full_signed_url: Option<String>,
            }
            let reply: Reply = json(&r)?;
            match (reply.full_signed_url, reply.signed_url) {
                (Some(full), _) => Ok(full),
                (None, Some(relative)) => Ok(resolve_signed(base, &relative)),
                (None, None) => {
                    Err(super::shape_error(r.status(), "sign answer without a URL").into())
                }
            }
        });
        Ok(call)
    }

    /// URLs anyone can GET for `expires_in_secs` seconds, for up to 500 objects at once
    /// (`POST /object/sign/{bucket} {expiresIn, paths}`, the JS SDK's
    /// `createSignedUrls`); one entry per name, in order, each a URL or the service's
    /// per-path error.
    pub fn create_signed_urls<S: AsRef<str>>(
        &self,
        names: &[S],
        expires_in_secs: u64,
    ) -> Result<ObjectCall<Vec<SignedUrl>>, BuildError> {
        if names.is_empty() || names.len() > 500 {
            return Err(BuildError::InvalidInput {
                field: "names",
                reason: "create_signed_urls takes 1 to 500 names per call".into(),
            });
        }
        if expires_in_secs == 0 {
            return Err(BuildError::InvalidInput {
                field: "expires_in",
                reason: "must be at least one second".into(),
            });
        }
        let names = names
            .iter()
            .map(|n| normalize_object_name(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let spec = json_spec(
            object_spec(Method::POST, "sign", &self.id, None),
            &serde_json::json!({ "expiresIn": expires_in_secs, "paths": names }),
        );
        Ok(ObjectCall::new(spec, true, String::new(), |r, _, base| {
            #[derive(Deserialize)]
            struct Item {
                path: String,
                #[serde(rename = "signedURL", default)]
                signed_url: Option<String>,
                #[serde(rename = "fullSignedURL", default)]
                full_signed_url: Option<String>,
                #[serde(default)]
                error: Option<serde_json::Value>,
            }
            let items: Vec<Item> = json(&r)?;
            Ok(items
                .into_iter()
                .map(|item| {
                    let url = match (item.error, item.full_signed_url, item.signed_url) {
                        (Some(e), _, _) if !e.is_null() => Err(match e {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        }),
                        (_, Some(full), _) => Ok(full),
                        (_, None, Some(relative)) => Ok(resolve_signed(base, &relative)),
                        (_, None, None) => Err("the service returned no URL".to_owned()),
                    };
                    SignedUrl {
                        path: item.path,
                        url,
                    }
                })
                .collect())
        }))
    }

    /// Removes objects (`DELETE /object/{bucket}` with `{prefixes}`, at most 100);
    /// answers what was removed.
    pub fn remove<S: AsRef<str>>(
        &self,
        names: &[S],
    ) -> Result<ObjectCall<Vec<ObjectInfo>>, BuildError> {
        if names.is_empty() || names.len() > 100 {
            return Err(BuildError::InvalidInput {
                field: "names",
                reason: "remove takes 1 to 100 names per call".into(),
            });
        }
        let names = names
            .iter()
            .map(|n| normalize_object_name(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let spec = json_spec(
            object_spec(Method::DELETE, "", &self.id, None),
            &serde_json::json!({ "prefixes": names }),
        );
        Ok(ObjectCall::new(spec, true, String::new(), |r, _, _| {
            json(&r)
        }))
    }

    fn copy_like(
        &self,
        fixed: &str,
        from: &str,
        to: &str,
        to_bucket: Option<&str>,
    ) -> Result<RequestSpec, BuildError> {
        let mut body = serde_json::json!({
            "bucketId": self.id,
            "sourceKey": normalize_object_name(from)?,
            "destinationKey": normalize_object_name(to)?,
        });
        if let Some(b) = to_bucket {
            validate_bucket_id(b)?;
            body["destinationBucket"] = b.into();
        }
        Ok(json_spec(
            RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
                .path("storages/object")
                .path(fixed),
            &body,
        ))
    }

    /// Copies `from` to `to` (in `to_bucket`, else this bucket): `POST /object/copy`;
    /// answers the new `Key`.
    pub fn copy(
        &self,
        from: &str,
        to: &str,
        to_bucket: Option<&str>,
    ) -> Result<ObjectCall<String>, BuildError> {
        let spec = self.copy_like("copy", from, to, to_bucket)?;
        Ok(ObjectCall::new(spec, false, String::new(), |r, _, _| {
            #[derive(Deserialize)]
            struct Reply {
                #[serde(rename = "Key", alias = "key")]
                key: String,
            }
            Ok(json::<Reply>(&r)?.key)
        }))
    }

    /// Moves `from` to `to`: `POST /object/move`.
    pub fn move_object(
        &self,
        from: &str,
        to: &str,
        to_bucket: Option<&str>,
    ) -> Result<ObjectCall<()>, BuildError> {
        let spec = self.copy_like("move", from, to, to_bucket)?;
        Ok(ObjectCall::new(
            spec,
            false,
            String::new(),
            |_, _, _| Ok(()),
        ))
    }

    /// An object's metadata: `GET /object/info/{bucket}/{name}`.
    pub fn info(&self, name: &str) -> Result<ObjectCall<ObjectInfo>, BuildError> {
        let name = normalize_object_name(name)?;
        let spec = object_spec(Method::GET, "info", &self.id, Some(&name));
        Ok(ObjectCall::new(spec, true, name, |r, _, _| json(&r)))
    }

    /// Objects under the listing's prefix (`POST /object/list/{bucket}`), its
    /// limit per page, continuing from its cursor.
    ///
    /// ```
    /// use cloudbase_core::storage::objects::{Bucket, Listing};
    /// let op = Bucket::new("photos")?.list(&Listing::prefix("2026/").limit(50))?;
    /// # Ok::<(), cloudbase_core::BuildError>(())
    /// ```
    pub fn list(&self, listing: &Listing) -> Result<ObjectCall<ObjectList>, BuildError> {
        let (prefix, limit, cursor) = (
            listing.prefix.as_str(),
            listing.limit,
            listing.cursor.as_deref(),
        );
        if prefix.chars().any(char::is_control) {
            return Err(BuildError::InvalidInput {
                field: "prefix",
                reason: "must not contain control characters".into(),
            });
        }
        let mut body = serde_json::json!({ "prefix": prefix });
        if let Some(limit) = limit {
            body["limit"] = limit.into();
        }
        if let Some(cursor) = cursor {
            body["cursor"] = cursor.into();
        }
        let spec = json_spec(object_spec(Method::POST, "list", &self.id, None), &body);
        Ok(ObjectCall::new(spec, true, String::new(), |r, _, _| {
            json(&r)
        }))
    }
}
