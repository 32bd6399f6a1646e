//! The compute and storage handles both adapters offer (`client.apis(name)`,
//! `client.storage()`), defined once like [`client_methods!`](crate::client_methods).

/// Expands, at module level in an adapter crate, to `Apis`, `Storage` and
/// `BucketHandle`, plus `Client::{call_container, apis, storage}`. The adapter's
/// `Client` provides `execute`, `execute_transfer` and `source_len`.
/// Blocking: `service_handles!(,)`; async: `service_handles!(async, .await)`.
/// The adapter also provides `open_stream` and its own `EventStream` (the iterator
/// or the `Stream`), which `crate::EventStream` names at the call site on purpose.
#[macro_export]
#[doc(hidden)]
#[allow(clippy::crate_in_macro_def)]
macro_rules! service_handles {
    ($($async:ident)?, $($await:tt)*) => {
        impl Client {
            /// Measures `source`, builds the operation for that length, and runs it
            /// with `source` as the streamed body.
            $($async)? fn send_source<O: $crate::operation::Operation>(
                &self,
                source: $crate::transfer::UploadSource,
                progress: Option<$crate::transfer::ProgressFn>,
                op: impl FnOnce(u64) -> Result<O, $crate::BuildError>,
            ) -> Result<O::Output, $crate::Error> {
                let op = op(self.source_len(&source) $($await)* ?)?;
                let mut transfer = $crate::transfer::Transfer::new().source(source);
                if let Some(progress) = progress {
                    transfer = transfer.progress(progress);
                }
                self.execute_transfer(op, &transfer) $($await)*
            }

            /// A CloudBase Run service (`/v1/cloudrun/{name}{path}`, the JS SDK's
            /// `callContainer`): pick the method and path, add headers and data, then
            /// `.send()`. A bad name, path or header is reported by `send`, unsent.
            #[doc(alias = "call_container")]
            #[doc(alias = "callContainer")]
            pub fn container(&self, name: &str) -> Container {
                Container { client: self.clone(), name: name.to_owned() }
            }

            /// An HTTP API (`/v1/apis/{name}{path}`); the name is checked on each call.
            pub fn apis(&self, name: &str) -> Apis {
                Apis { client: self.clone(), name: name.to_owned(), token: None, headers: Vec::new() }
            }

            /// Cloud storage: the classic file API, and buckets of the object API.
            pub fn storage(&self) -> Storage {
                Storage { client: self.clone() }
            }
        }

        /// A CloudBase Run service; from [`Client::container`].
        #[derive(Clone, Debug)]
        pub struct Container {
            client: Client,
            name: String,
        }

        impl Container {
            /// A request with any method.
            pub fn request(&self, method: $crate::http::Method, path: &str) -> ServiceRequest {
                let call = $crate::functions::ServiceCall::container(&self.name)
                    .and_then(|c| c.method(method).path(path));
                ServiceRequest { client: self.client.clone(), call }
            }

            /// `GET path`.
            pub fn get(&self, path: &str) -> ServiceRequest {
                self.request($crate::http::Method::GET, path)
            }

            /// `POST path` (the JS SDK's default method).
            pub fn post(&self, path: &str) -> ServiceRequest {
                self.request($crate::http::Method::POST, path)
            }

            /// `PUT path`.
            pub fn put(&self, path: &str) -> ServiceRequest {
                self.request($crate::http::Method::PUT, path)
            }

            /// `PATCH path`.
            pub fn patch(&self, path: &str) -> ServiceRequest {
                self.request($crate::http::Method::PATCH, path)
            }

            /// `DELETE path`.
            pub fn delete(&self, path: &str) -> ServiceRequest {
                self.request($crate::http::Method::DELETE, path)
            }

            /// `HEAD path`.
            pub fn head(&self, path: &str) -> ServiceRequest {
                self.request($crate::http::Method::HEAD, path)
            }
        }

        /// A request to a CloudBase Run service or an HTTP API being built; `.send()`
        /// runs it. The first bad input is kept and returned by `send`, and nothing is
        /// sent.
        #[derive(Debug)]
        #[must_use = "a request does nothing until sent"]
        pub struct ServiceRequest {
            client: Client,
            call: Result<$crate::functions::ServiceCall, $crate::BuildError>,
        }

        impl ServiceRequest {
            /// Adds a header.
            pub fn header(mut self, name: &str, value: &str) -> Self {
                self.call = self.call.and_then(|c| c.header(name, value));
                self
            }

            /// Adds a query parameter (percent-encoded).
            pub fn query(mut self, name: &str, value: &str) -> Self {
                self.call = self.call.map(|c| c.query(name, value));
                self
            }

            /// The data: the JSON body, or for GET and HEAD the query parameters (an
            /// object's fields).
            pub fn data<T: $crate::serde::Serialize + ?Sized>(mut self, data: &T) -> Self {
                self.call = self.call.and_then(|c| c.data(data));
                self
            }

            /// Marks the call safe to retry after it may have reached the service (by
            /// default only idempotent methods are).
            pub fn idempotent(mut self) -> Self {
                self.call = self.call.map(|c| c.idempotent());
                self
            }

            /// Sends the request; the service's answer as is.
            pub $($async)? fn send(self) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.client.execute(self.call?) $($await)*
            }

            /// Sends the request (with `Accept: text/event-stream`) and reads a
            /// streamed answer as server-sent events, each as it arrives. An answer
            /// that is not an event stream is an error (with the service's error
            /// envelope when it sent one).
            pub $($async)? fn stream(self) -> Result<crate::EventStream<$crate::stream::SseEventDecoder>, $crate::Error> {
                let op = $crate::functions::OpenServiceStream::new(self.call?);
                self.client.open_stream(op, $crate::stream::SseEventDecoder::default()) $($await)*
            }
        }

        /// An HTTP API; from [`Client::apis`]. Methods return the answer as is.
        #[derive(Clone, Debug)]
        pub struct Apis {
            client: Client,
            name: String,
            token: Option<$crate::Secret>,
            headers: Vec<(String, String)>,
        }

        impl Apis {
            /// Sends `token` as the bearer instead of the session's.
            pub fn token(mut self, token: impl Into<$crate::Secret>) -> Self {
                self.token = Some(token.into());
                self
            }

            /// Adds a header to every call of this handle.
            pub fn header(mut self, name: &str, value: &str) -> Self {
                self.headers.push((name.to_owned(), value.to_owned()));
                self
            }

            /// A request with any method, built then `.send()`: `.data(..)` is the query
            /// for GET/HEAD (an object), JSON for the others (`{}` when there is none, as
            /// the JS SDK). The handle's token and headers come with it.
            pub fn request(&self, method: $crate::http::Method, path: &str) -> ServiceRequest {
                let call = $crate::functions::ServiceCall::api(&self.name, method)
                    .and_then(|c| c.path(path))
                    .and_then(|c| {
                        self.headers.iter().try_fold(c, |c, (k, v)| c.header(k, v))
                    })
                    .map(|c| match &self.token {
                        Some(token) => c.token(token.clone()),
                        None => c,
                    });
                ServiceRequest { client: self.client.clone(), call }
            }

            fn call_with(
                &self,
                method: $crate::http::Method,
                path: &str,
                body: Option<&$crate::serde_json::Value>,
            ) -> ServiceRequest {
                let request = self.request(method, path);
                match body {
                    Some(body) => request.data(body),
                    None => request,
                }
            }

            /// `GET`.
            pub $($async)? fn get(&self, path: &str) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.call_with($crate::http::Method::GET, path, None).send() $($await)*
            }

            /// `HEAD`.
            pub $($async)? fn head(&self, path: &str) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.call_with($crate::http::Method::HEAD, path, None).send() $($await)*
            }

            /// `OPTIONS`.
            pub $($async)? fn options(&self, path: &str) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.call_with($crate::http::Method::OPTIONS, path, None).send() $($await)*
            }

            /// `DELETE`.
            pub $($async)? fn delete(&self, path: &str) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.call_with($crate::http::Method::DELETE, path, None).send() $($await)*
            }

            /// `POST` with a JSON body.
            pub $($async)? fn post(&self, path: &str, body: &$crate::serde_json::Value) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.call_with($crate::http::Method::POST, path, Some(body)).send() $($await)*
            }

            /// `PUT` with a JSON body.
            pub $($async)? fn put(&self, path: &str, body: &$crate::serde_json::Value) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.call_with($crate::http::Method::PUT, path, Some(body)).send() $($await)*
            }

            /// `PATCH` with a JSON body.
            pub $($async)? fn patch(&self, path: &str, body: &$crate::serde_json::Value) -> Result<$crate::functions::ServiceResponse, $crate::Error> {
                self.call_with($crate::http::Method::PATCH, path, Some(body)).send() $($await)*
            }
        }

        /// Cloud storage; from [`Client::storage`]. Uploads and downloads stream
        /// between files and the network, with optional progress reports.
        #[derive(Clone, Debug)]
        pub struct Storage {
            client: Client,
        }

        impl Storage {
            /// Uploads `source` to `cloud_path` (`<bucket>/<name>`): the upload-info
            /// step, then the bytes, streamed, to the signed URL. Set the type (default
            /// `application/octet-stream`) and a progress callback, then `.send()`.
            pub fn upload_file(&self, cloud_path: &str, source: $crate::transfer::UploadSource) -> UploadFileRequest {
                UploadFileRequest {
                    client: self.client.clone(),
                    cloud_path: cloud_path.to_owned(),
                    source,
                    content_type: None,
                    progress: None,
                }
            }

            /// Temporary download URLs (per-file results; the call fails only as a
            /// whole).
            pub $($async)? fn temp_file_urls(&self, file_ids: &[&str]) -> Result<Vec<$crate::storage::TempFileUrl>, $crate::Error> {
                self.client.execute($crate::storage::TempFileUrls::temp_urls(file_ids.iter().copied())?) $($await)*
            }

            /// A file's size, type and cache headers without its bytes (the JS SDK's
            /// `getFileInfo`: a temporary URL, then `HEAD`).
            pub $($async)? fn get_file_info(&self, file_id: &str) -> Result<$crate::storage::FileInfo, $crate::Error> {
                self.client.execute($crate::storage::GetFileInfo::new(file_id)?) $($await)*
            }

            /// One temporary download URL; a per-file failure is an error.
            pub $($async)? fn download_url(&self, file_id: &str) -> Result<String, $crate::Error> {
                let mut urls = self.client.execute($crate::storage::TempFileUrls::temp_urls([file_id])?) $($await)* ?;
                $crate::storage::single_url(urls.pop())
            }

            /// Downloads a file to `path`, streamed (written as `<path>.part`, renamed
            /// when complete); `.send()` returns the bytes written.
            pub fn download_file(&self, file_id: &str, path: impl AsRef<std::path::Path>) -> DownloadFileRequest {
                DownloadFileRequest {
                    client: self.client.clone(),
                    file_id: file_id.to_owned(),
                    path: path.as_ref().to_owned(),
                    progress: None,
                }
            }

            /// Downloads a file into memory (bounded by the response size limit).
            pub $($async)? fn download_bytes(&self, file_id: &str) -> Result<Vec<u8>, $crate::Error> {
                Ok(self.client.execute($crate::storage::DownloadFile::new(file_id)?) $($await)* ?.body)
            }

            /// Deletes files (per-file results).
            pub $($async)? fn delete_files(&self, file_ids: &[&str]) -> Result<Vec<$crate::storage::ItemOutcome>, $crate::Error> {
                self.client.execute($crate::storage::DeleteFiles::delete(file_ids.iter().copied())?) $($await)*
            }

            /// Copies a cloud path (`.overwrite()` to replace `dst`,
            /// `.remove_original()` to move it); `.send()` returns the new file id.
            pub fn copy_file(&self, src: &str, dst: &str) -> CopyFileRequest {
                CopyFileRequest {
                    client: self.client.clone(),
                    op: $crate::storage::CopyFile::new(src, dst),
                }
            }

            /// A bucket of the object API (`app.storage.from(bucket)`).
            pub fn bucket(&self, id: &str) -> Result<BucketHandle, $crate::Error> {
                Ok(BucketHandle { client: self.client.clone(), bucket: $crate::storage::objects::Bucket::new(id)? })
            }
        }

        /// An upload being set up; from [`Storage::upload_file`].
        #[must_use = "an upload does nothing until sent"]
        pub struct UploadFileRequest {
            client: Client,
            cloud_path: String,
            source: $crate::transfer::UploadSource,
            content_type: Option<String>,
            progress: Option<$crate::transfer::ProgressFn>,
        }

        impl std::fmt::Debug for UploadFileRequest {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("UploadFileRequest").field("cloud_path", &self.cloud_path).finish_non_exhaustive()
            }
        }

        impl UploadFileRequest {
            /// The file's MIME type (signed, and checked by the service).
            pub fn content_type(mut self, content_type: &str) -> Self {
                self.content_type = Some(content_type.to_owned());
                self
            }

            /// Called as bytes go out.
            pub fn progress(mut self, progress: $crate::transfer::ProgressFn) -> Self {
                self.progress = Some(progress);
                self
            }

            /// Uploads.
            pub $($async)? fn send(self) -> Result<$crate::storage::UploadedFile, $crate::Error> {
                let UploadFileRequest { client, cloud_path, source, content_type, progress } = self;
                client.send_source(source, progress, |len| {
                    let op = $crate::storage::UploadFile::new(&cloud_path, len)?;
                    match &content_type {
                        Some(content_type) => op.content_type(content_type),
                        None => Ok(op),
                    }
                }) $($await)*
            }
        }

        /// A download to a file being set up; from [`Storage::download_file`].
        #[must_use = "a download does nothing until sent"]
        pub struct DownloadFileRequest {
            client: Client,
            file_id: String,
            path: std::path::PathBuf,
            progress: Option<$crate::transfer::ProgressFn>,
        }

        impl std::fmt::Debug for DownloadFileRequest {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("DownloadFileRequest").field("file_id", &self.file_id).finish_non_exhaustive()
            }
        }

        impl DownloadFileRequest {
            /// Called as bytes arrive.
            pub fn progress(mut self, progress: $crate::transfer::ProgressFn) -> Self {
                self.progress = Some(progress);
                self
            }

            /// Downloads; the bytes written.
            pub $($async)? fn send(self) -> Result<u64, $crate::Error> {
                let op = $crate::storage::DownloadFile::new(&self.file_id)?.to_file();
                let mut transfer = $crate::transfer::Transfer::new().sink(&self.path);
                if let Some(progress) = self.progress {
                    transfer = transfer.progress(progress);
                }
                Ok(self.client.execute_transfer(op, &transfer) $($await)* ?.size)
            }
        }

        /// A copy being set up; from [`Storage::copy_file`].
        #[derive(Debug)]
        #[must_use = "a copy does nothing until sent"]
        pub struct CopyFileRequest {
            client: Client,
            op: Result<$crate::storage::CopyFile, $crate::BuildError>,
        }

        impl CopyFileRequest {
            /// Replaces `dst` if it exists (refused otherwise).
            pub fn overwrite(mut self) -> Self {
                self.op = self.op.map(|op| op.overwrite(true));
                self
            }

            /// Removes `src` afterwards: a move.
            pub fn remove_original(mut self) -> Self {
                self.op = self.op.map(|op| op.remove_original(true));
                self
            }

            /// Copies; the new file id.
            pub $($async)? fn send(self) -> Result<String, $crate::Error> {
                self.client.execute(self.op?) $($await)*
            }
        }

        $(
            #[doc = concat!("In the ", stringify!($async), " client, `.await` it directly: the same as `.send().await`.")]
            impl std::future::IntoFuture for ServiceRequest {
                type Output = Result<$crate::functions::ServiceResponse, $crate::Error>;
                type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

                fn into_future(self) -> Self::IntoFuture {
                    Box::pin(self.send())
                }
            }
        )?

        $(
            #[doc = concat!("In the ", stringify!($async), " client, `.await` it directly: the same as `.send().await`.")]
            impl std::future::IntoFuture for UploadFileRequest {
                type Output = Result<$crate::storage::UploadedFile, $crate::Error>;
                type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

                fn into_future(self) -> Self::IntoFuture {
                    Box::pin(self.send())
                }
            }
        )?

        $(
            #[doc = concat!("In the ", stringify!($async), " client, `.await` it directly: the same as `.send().await`.")]
            impl std::future::IntoFuture for DownloadFileRequest {
                type Output = Result<u64, $crate::Error>;
                type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

                fn into_future(self) -> Self::IntoFuture {
                    Box::pin(self.send())
                }
            }
        )?

        $(
            #[doc = concat!("In the ", stringify!($async), " client, `.await` it directly: the same as `.send().await`.")]
            impl std::future::IntoFuture for CopyFileRequest {
                type Output = Result<String, $crate::Error>;
                type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

                fn into_future(self) -> Self::IntoFuture {
                    Box::pin(self.send())
                }
            }
        )?

        /// One bucket of the object API; from [`Storage::bucket`].
        #[derive(Clone, Debug)]
        pub struct BucketHandle {
            client: Client,
            bucket: $crate::storage::objects::Bucket,
        }

        impl BucketHandle {
            /// Uploads `source` as `name` (refused if it exists, unless `upsert`).
            pub $($async)? fn upload(
                &self,
                name: &str,
                source: $crate::transfer::UploadSource,
                options: &$crate::storage::objects::ObjectOptions,
                progress: Option<$crate::transfer::ProgressFn>,
            ) -> Result<$crate::storage::objects::StoredObject, $crate::Error> {
                self.client.send_source(source, progress, |len| self.bucket.upload(name, len, options)) $($await)*
            }

            /// Replaces `name` with `source`.
            pub $($async)? fn update(
                &self,
                name: &str,
                source: $crate::transfer::UploadSource,
                options: &$crate::storage::objects::ObjectOptions,
                progress: Option<$crate::transfer::ProgressFn>,
            ) -> Result<$crate::storage::objects::StoredObject, $crate::Error> {
                self.client.send_source(source, progress, |len| self.bucket.update(name, len, options)) $($await)*
            }

            /// Downloads `name` to `path`, streamed; returns the bytes written.
            pub $($async)? fn download_to_file(
                &self,
                name: &str,
                path: impl AsRef<std::path::Path>,
                progress: Option<$crate::transfer::ProgressFn>,
            ) -> Result<u64, $crate::Error> {
                let op = self.bucket.download_to_file(name)?;
                let mut transfer = $crate::transfer::Transfer::new().sink(path.as_ref());
                if let Some(progress) = progress {
                    transfer = transfer.progress(progress);
                }
                Ok(self.client.execute_transfer(op, &transfer) $($await)* ?.size)
            }

            /// Downloads `name` into memory.
            pub $($async)? fn download_bytes(&self, name: &str) -> Result<Vec<u8>, $crate::Error> {
                Ok(self.client.execute(self.bucket.download(name)?) $($await)* ?.body)
            }

            /// A URL anyone can GET for `expires_in_secs` seconds.
            pub $($async)? fn create_signed_url(&self, name: &str, expires_in_secs: u64) -> Result<String, $crate::Error> {
                self.client.execute(self.bucket.create_signed_url(name, expires_in_secs)?) $($await)*
            }

            /// URLs anyone can GET for `expires_in_secs` seconds, for 1 to 500 names;
            /// each entry a URL or that name's error.
            pub $($async)? fn create_signed_urls(&self, names: &[&str], expires_in_secs: u64) -> Result<Vec<$crate::storage::objects::SignedUrl>, $crate::Error> {
                self.client.execute(self.bucket.create_signed_urls(names, expires_in_secs)?) $($await)*
            }

            /// Removes objects (1 to 100 names).
            pub $($async)? fn remove(&self, names: &[&str]) -> Result<Vec<$crate::storage::objects::ObjectInfo>, $crate::Error> {
                self.client.execute(self.bucket.remove(names)?) $($await)*
            }

            /// Copies `from` to `to` in this bucket; returns the new key.
            pub $($async)? fn copy(&self, from: &str, to: &str) -> Result<String, $crate::Error> {
                self.client.execute(self.bucket.copy(from, to, None)?) $($await)*
            }

            /// Moves `from` to `to` in this bucket.
            pub $($async)? fn move_object(&self, from: &str, to: &str) -> Result<(), $crate::Error> {
                self.client.execute(self.bucket.move_object(from, to, None)?) $($await)*
            }

            /// An object's metadata.
            pub $($async)? fn info(&self, name: &str) -> Result<$crate::storage::objects::ObjectInfo, $crate::Error> {
                self.client.execute(self.bucket.info(name)?) $($await)*
            }

            /// Objects under `prefix`, a page at a time.
            pub $($async)? fn list(&self, listing: &$crate::storage::objects::Listing) -> Result<$crate::storage::objects::ObjectList, $crate::Error> {
                self.client.execute(self.bucket.list(listing)?) $($await)*
            }
        }
    };
}
