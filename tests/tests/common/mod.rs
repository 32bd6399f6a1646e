//! Shared set-up for the end-to-end tests: one emulator per test, fast retries, and
//! checks of what reached the wire.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use cloudbase_core::{Config, ConfigBuilder, RetryPolicy, TransportOptions};
use cloudbase_emulator::{Emulator, FunctionResponse, RecordedRequest};

pub const ENV: &str = "demo-env";
pub const PUBLISHABLE_KEY: &str = "pk_test_publishable";
pub const RESPONSE_LIMIT: u64 = 1024 * 1024;

/// An emulator with test functions: `big` answers 2 MiB, `redirect` answers a 302.
pub fn emulator() -> Emulator {
    Emulator::builder()
        .env_id(ENV)
        .publishable_key(PUBLISHABLE_KEY)
        .function("big", |_| {
            FunctionResponse::bytes(
                "application/octet-stream",
                vec![b'x'; 2 * RESPONSE_LIMIT as usize],
            )
        })
        .function("redirect", |_| {
            FunctionResponse::text("moved")
                .with_status(302)
                .with_header("location", "/v1/functions/echo")
        })
        .start()
        .unwrap()
}

/// Retries with millisecond backoff, so retry tests stay fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

/// A client config pointed at `base_url`, with a 1 MiB response limit.
pub fn config_for(base_url: &str) -> ConfigBuilder {
    let mut transport = TransportOptions::default();
    transport.max_response_bytes = RESPONSE_LIMIT;
    Config::builder(ENV)
        .base_url(base_url)
        .retry(fast_retry())
        .transport(transport)
}

/// A loopback URL where nothing listens (bound, then released).
pub fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The sign-in request matches `auth/signInAnonymously` in auth.jsonl in everything
/// that carries meaning (our X-SDK-Version names this SDK; Content-Type is
/// `application/json` as docs/protocol/auth.md §1 advises, where the web SDK lets the browser say
/// `text/plain`).
pub fn assert_sign_in_request(r: &RecordedRequest, device_id: &str) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/auth/v1/signin/anonymously");
    assert_eq!(r.query.as_deref(), Some("client_id=demo-env"));
    assert_eq!(r.header("x-device-id"), Some(device_id));
    assert!(is_hex(r.header("x-request-id").unwrap(), 32));
    assert!(
        r.header("x-sdk-version")
            .unwrap()
            .starts_with("cloudbase-rust/")
    );
    assert_eq!(r.header("accept-language"), Some("zh-CN"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.body, b"{}");
}

/// The function call matches `functions/callFunction/plain` in functions.jsonl.
pub fn assert_function_request(r: &RecordedRequest, bearer: &str, body: &serde_json::Value) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/functions/echo");
    assert_eq!(r.query, None);
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {bearer}").as_str())
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let rid = r.header("x-request-id").unwrap();
    assert_eq!(rid.len(), 36, "dashed uuid: {rid}");
    assert_eq!(r.header("x-device-id"), None);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(),
        *body
    );
}

/// Requests to a path, with the gap between the first two.
pub fn gap_between_first_two(requests: &[RecordedRequest]) -> Duration {
    requests[1]
        .received_at
        .duration_since(requests[0].received_at)
        .unwrap_or_default()
}

pub mod ai_scenarios;
pub mod backend_scenarios;
pub mod scenarios;

use cloudbase_core::auth::Claims;
use cloudbase_core::functions::FunctionResult;
use cloudbase_core::functions::ServiceResponse;
use cloudbase_core::storage::UploadedFile;
use cloudbase_core::storage::objects::{ObjectOptions, StoredObject};
use cloudbase_core::store::SessionStore;
use cloudbase_core::transfer::{ProgressFn, Transfer, UploadSource};
use cloudbase_core::{
    AuthEvent, AuthEventKind, Credentials, Error, ListenerId, Operation, Session,
};
use std::sync::{Arc, Mutex};

/// What the scenarios need from a client; implemented by both adapters (the async
/// one runs each call to completion on its own tokio runtime).
pub trait TestClient: Sized + AuthClient + data::DataClient {
    fn connect(config: ConfigBuilder) -> Self;
    fn connect_with_store(
        config: ConfigBuilder,
        store: Arc<dyn SessionStore>,
    ) -> Result<Self, Error>;
    /// This adapter's own file store.
    fn file_store(path: &std::path::Path) -> Arc<dyn SessionStore>;
    fn get_claims(&self) -> Result<Claims, Error>;
    fn execute<O>(&self, op: O) -> Result<O::Output, Error>
    where
        O: Operation + Send,
        O::Output: Send;
    fn execute_transfer<O>(&self, op: O, transfer: &Transfer) -> Result<O::Output, Error>
    where
        O: Operation + Send,
        O::Output: Send;
    fn call_container(
        &self,
        name: &str,
        method: Option<http::Method>,
        path: &str,
        headers: &[(&str, &str)],
        data: Option<&serde_json::Value>,
    ) -> Result<ServiceResponse, Error>;
    /// `client.apis(name)` with an optional token, then `request(method, path, body)`.
    fn apis_request(
        &self,
        name: &str,
        token: Option<&str>,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<ServiceResponse, Error>;
    fn upload_file(
        &self,
        cloud_path: &str,
        source: UploadSource,
        content_type: Option<&str>,
        progress: Option<ProgressFn>,
    ) -> Result<UploadedFile, Error>;
    fn download_file(
        &self,
        file_id: &str,
        path: &std::path::Path,
        progress: Option<ProgressFn>,
    ) -> Result<u64, Error>;
    fn bucket_upload(
        &self,
        bucket: &str,
        name: &str,
        source: UploadSource,
        progress: Option<ProgressFn>,
    ) -> Result<StoredObject, Error>;
    fn bucket_download(
        &self,
        bucket: &str,
        name: &str,
        path: &std::path::Path,
        progress: Option<ProgressFn>,
    ) -> Result<u64, Error>;
    fn call_function(&self, name: &str, data: &serde_json::Value) -> Result<FunctionResult, Error>;
    fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<cloudbase_core::backend::VerifiedClaims, Error>;
    fn create_ticket(
        &self,
        key: &cloudbase_core::backend::CustomLoginKey,
        uid: &str,
    ) -> Result<cloudbase_core::Secret, Error>;
    fn use_key_set(&self, keys: cloudbase_core::backend::KeySet);
    fn ai_chat(
        &self,
        request: cloudbase_core::ai::ChatRequest,
    ) -> Result<cloudbase_core::ai::ChatCompletion, Error>;
    /// Opens a chat stream and reads every item.
    fn ai_stream(
        &self,
        request: cloudbase_core::ai::ChatRequest,
    ) -> Result<Vec<Result<cloudbase_core::ai::ChatDelta, Error>>, Error>;
    /// Sends an agent message and reads every item.
    fn agent_stream(
        &self,
        message: cloudbase_core::ai::SendMessage,
    ) -> Result<Vec<Result<cloudbase_core::ai::AgentEvent, Error>>, Error>;
    fn ai_bot(&self, call: cloudbase_core::ai::BotCall) -> Result<serde_json::Value, Error>;
    fn ai_list_bots(&self) -> Result<cloudbase_core::ai::BotList, Error>;
    /// Opens any event stream and reads every item.
    fn execute_stream<O, D>(&self, op: O, decoder: D) -> Result<Vec<Result<D::Item, Error>>, Error>
    where
        O: Operation<Output = ()> + Send,
        D: cloudbase_core::stream::StreamDecoder;
    /// `GET` a Cloud Run service's path as an event stream, every item read.
    fn service_stream(
        &self,
        name: &str,
        path: &str,
    ) -> Result<Vec<Result<cloudbase_core::sse::SseEvent, Error>>, Error>;
    fn ai_run_tools(
        &self,
        tool_loop: cloudbase_core::ai::ToolLoop,
    ) -> Result<cloudbase_core::ai::ToolLoopResult, Error>;
    fn session(&self) -> Session;
    fn device_id(&self) -> String;
    fn debug(&self) -> String;
    fn on_auth_state_change(
        &self,
        listener: impl Fn(&AuthEvent) + Send + Sync + 'static,
    ) -> ListenerId;

    /// Records the kinds of every auth event from now on (starting with
    /// `INITIAL_SESSION`).
    fn record_events(&self) -> Arc<Mutex<Vec<AuthEventKind>>> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        self.on_auth_state_change(move |e| sink.lock().unwrap().push(e.kind));
        log
    }
}

impl TestClient for cloudbase_blocking::Client {
    fn connect(config: ConfigBuilder) -> Self {
        cloudbase_blocking::Client::new(config.build().unwrap()).unwrap()
    }
    fn connect_with_store(
        config: ConfigBuilder,
        store: Arc<dyn SessionStore>,
    ) -> Result<Self, Error> {
        cloudbase_blocking::Client::with_store(config.build().unwrap(), store)
    }
    fn file_store(path: &std::path::Path) -> Arc<dyn SessionStore> {
        Arc::new(cloudbase_blocking::FileStore::new(path))
    }
    fn get_claims(&self) -> Result<Claims, Error> {
        cloudbase_blocking::Client::get_claims(self)
    }
    fn execute<O>(&self, op: O) -> Result<O::Output, Error>
    where
        O: Operation + Send,
        O::Output: Send,
    {
        cloudbase_blocking::Client::execute(self, op)
    }
    fn execute_transfer<O>(&self, op: O, transfer: &Transfer) -> Result<O::Output, Error>
    where
        O: Operation + Send,
        O::Output: Send,
    {
        self.execute_transfer(op, transfer)
    }
    fn call_container(
        &self,
        name: &str,
        method: Option<http::Method>,
        path: &str,
        headers: &[(&str, &str)],
        data: Option<&serde_json::Value>,
    ) -> Result<ServiceResponse, Error> {
        let mut request = self
            .container(name)
            .request(method.unwrap_or(http::Method::POST), path);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        if let Some(data) = data {
            request = request.data(data);
        }
        request.send()
    }
    fn apis_request(
        &self,
        name: &str,
        token: Option<&str>,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<ServiceResponse, Error> {
        let mut apis = self.apis(name);
        if let Some(t) = token {
            apis = apis.token(t);
        }
        let request = apis.request(method, path);
        match body {
            Some(body) => request.data(body).send(),
            None => request.send(),
        }
    }
    fn upload_file(
        &self,
        cloud_path: &str,
        source: UploadSource,
        content_type: Option<&str>,
        progress: Option<ProgressFn>,
    ) -> Result<UploadedFile, Error> {
        let mut upload = self.storage().upload_file(cloud_path, source);
        if let Some(t) = content_type {
            upload = upload.content_type(t);
        }
        if let Some(p) = progress {
            upload = upload.progress(p);
        }
        upload.send()
    }
    fn download_file(
        &self,
        file_id: &str,
        path: &std::path::Path,
        progress: Option<ProgressFn>,
    ) -> Result<u64, Error> {
        let mut download = self.storage().download_file(file_id, path);
        if let Some(p) = progress {
            download = download.progress(p);
        }
        download.send()
    }
    fn bucket_upload(
        &self,
        bucket: &str,
        name: &str,
        source: UploadSource,
        progress: Option<ProgressFn>,
    ) -> Result<StoredObject, Error> {
        let b = self.storage().bucket(bucket)?;
        b.upload(name, source, &ObjectOptions::default().upsert(), progress)
    }
    fn bucket_download(
        &self,
        bucket: &str,
        name: &str,
        path: &std::path::Path,
        progress: Option<ProgressFn>,
    ) -> Result<u64, Error> {
        let b = self.storage().bucket(bucket)?;
        b.download_to_file(name, path, progress)
    }
    fn call_function(&self, name: &str, data: &serde_json::Value) -> Result<FunctionResult, Error> {
        cloudbase_blocking::Client::call_function(self, name, data)
    }
    fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<cloudbase_core::backend::VerifiedClaims, Error> {
        cloudbase_blocking::Client::verify_access_token(self, token)
    }
    fn create_ticket(
        &self,
        key: &cloudbase_core::backend::CustomLoginKey,
        uid: &str,
    ) -> Result<cloudbase_core::Secret, Error> {
        cloudbase_blocking::Client::create_ticket(self, key, uid)
    }
    fn use_key_set(&self, keys: cloudbase_core::backend::KeySet) {
        cloudbase_blocking::Client::use_key_set(self, keys)
    }
    fn ai_chat(
        &self,
        request: cloudbase_core::ai::ChatRequest,
    ) -> Result<cloudbase_core::ai::ChatCompletion, Error> {
        self.ai().chat(request)
    }
    fn ai_stream(
        &self,
        request: cloudbase_core::ai::ChatRequest,
    ) -> Result<Vec<Result<cloudbase_core::ai::ChatDelta, Error>>, Error> {
        Ok(self.ai().stream_chat(request)?.collect())
    }
    fn agent_stream(
        &self,
        message: cloudbase_core::ai::SendMessage,
    ) -> Result<Vec<Result<cloudbase_core::ai::AgentEvent, Error>>, Error> {
        Ok(self.ai().send_message(message)?.collect())
    }
    fn ai_bot(&self, call: cloudbase_core::ai::BotCall) -> Result<serde_json::Value, Error> {
        self.ai().bot(call)
    }
    fn ai_list_bots(&self) -> Result<cloudbase_core::ai::BotList, Error> {
        self.ai().list_bots(10, 1)
    }
    fn execute_stream<O, D>(&self, op: O, decoder: D) -> Result<Vec<Result<D::Item, Error>>, Error>
    where
        O: Operation<Output = ()> + Send,
        D: cloudbase_core::stream::StreamDecoder,
    {
        Ok(self.open_stream(op, decoder)?.collect())
    }
    fn service_stream(
        &self,
        name: &str,
        path: &str,
    ) -> Result<Vec<Result<cloudbase_core::sse::SseEvent, Error>>, Error> {
        Ok(self.container(name).get(path).stream()?.collect())
    }
    fn ai_run_tools(
        &self,
        tool_loop: cloudbase_core::ai::ToolLoop,
    ) -> Result<cloudbase_core::ai::ToolLoopResult, Error> {
        self.ai().run_tools(tool_loop)
    }
    fn session(&self) -> Session {
        cloudbase_blocking::Client::session(self)
    }
    fn device_id(&self) -> String {
        cloudbase_blocking::Client::device_id(self)
    }
    fn debug(&self) -> String {
        format!("{self:?} {self:#?}")
    }
    fn on_auth_state_change(
        &self,
        listener: impl Fn(&AuthEvent) + Send + Sync + 'static,
    ) -> ListenerId {
        cloudbase_blocking::Client::on_auth_state_change(self, listener)
    }
}

fn test_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The async client plus a runtime to drive it from a plain `#[test]`.
pub struct AsyncClient {
    runtime: tokio::runtime::Runtime,
    client: cloudbase_async::Client,
}

impl TestClient for AsyncClient {
    // Like the blocking client: `connect` without a store, `connect_with_store` with one,
    // so both adapters run every scenario through the same path.
    fn connect(config: ConfigBuilder) -> Self {
        let client = cloudbase_async::Client::new(config.build().unwrap()).unwrap();
        Self {
            runtime: test_runtime(),
            client,
        }
    }
    fn connect_with_store(
        config: ConfigBuilder,
        store: Arc<dyn SessionStore>,
    ) -> Result<Self, Error> {
        let client = cloudbase_async::Client::with_store(config.build().unwrap(), store)?;
        Ok(Self {
            runtime: test_runtime(),
            client,
        })
    }
    fn file_store(path: &std::path::Path) -> Arc<dyn SessionStore> {
        Arc::new(cloudbase_async::FileStore::new(path))
    }
    fn get_claims(&self) -> Result<Claims, Error> {
        self.client.get_claims()
    }
    fn execute<O>(&self, op: O) -> Result<O::Output, Error>
    where
        O: Operation + Send,
        O::Output: Send,
    {
        self.runtime.block_on(self.client.execute(op))
    }
    fn execute_transfer<O>(&self, op: O, transfer: &Transfer) -> Result<O::Output, Error>
    where
        O: Operation + Send,
        O::Output: Send,
    {
        self.runtime
            .block_on(self.client.execute_transfer(op, transfer))
    }
    fn call_container(
        &self,
        name: &str,
        method: Option<http::Method>,
        path: &str,
        headers: &[(&str, &str)],
        data: Option<&serde_json::Value>,
    ) -> Result<ServiceResponse, Error> {
        let mut request = self
            .client
            .container(name)
            .request(method.unwrap_or(http::Method::POST), path);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        if let Some(data) = data {
            request = request.data(data);
        }
        self.runtime.block_on(request.send())
    }
    fn apis_request(
        &self,
        name: &str,
        token: Option<&str>,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<ServiceResponse, Error> {
        let mut apis = self.client.apis(name);
        if let Some(t) = token {
            apis = apis.token(t);
        }
        let request = apis.request(method, path);
        let request = match body {
            Some(body) => request.data(body),
            None => request,
        };
        self.runtime.block_on(request.send())
    }
    fn upload_file(
        &self,
        cloud_path: &str,
        source: UploadSource,
        content_type: Option<&str>,
        progress: Option<ProgressFn>,
    ) -> Result<UploadedFile, Error> {
        let mut upload = self.client.storage().upload_file(cloud_path, source);
        if let Some(t) = content_type {
            upload = upload.content_type(t);
        }
        if let Some(p) = progress {
            upload = upload.progress(p);
        }
        self.runtime.block_on(upload.send())
    }
    fn download_file(
        &self,
        file_id: &str,
        path: &std::path::Path,
        progress: Option<ProgressFn>,
    ) -> Result<u64, Error> {
        let mut download = self.client.storage().download_file(file_id, path);
        if let Some(p) = progress {
            download = download.progress(p);
        }
        self.runtime.block_on(download.send())
    }
    fn bucket_upload(
        &self,
        bucket: &str,
        name: &str,
        source: UploadSource,
        progress: Option<ProgressFn>,
    ) -> Result<StoredObject, Error> {
        let b = self.client.storage().bucket(bucket)?;
        self.runtime
            .block_on(b.upload(name, source, &ObjectOptions::default().upsert(), progress))
    }
    fn bucket_download(
        &self,
        bucket: &str,
        name: &str,
        path: &std::path::Path,
        progress: Option<ProgressFn>,
    ) -> Result<u64, Error> {
        let b = self.client.storage().bucket(bucket)?;
        self.runtime
            .block_on(b.download_to_file(name, path, progress))
    }
    fn call_function(&self, name: &str, data: &serde_json::Value) -> Result<FunctionResult, Error> {
        self.runtime.block_on(self.client.call_function(name, data))
    }
    fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<cloudbase_core::backend::VerifiedClaims, Error> {
        self.runtime
            .block_on(self.client.verify_access_token(token))
    }
    fn create_ticket(
        &self,
        key: &cloudbase_core::backend::CustomLoginKey,
        uid: &str,
    ) -> Result<cloudbase_core::Secret, Error> {
        self.client.create_ticket(key, uid)
    }
    fn use_key_set(&self, keys: cloudbase_core::backend::KeySet) {
        self.client.use_key_set(keys)
    }
    fn ai_chat(
        &self,
        request: cloudbase_core::ai::ChatRequest,
    ) -> Result<cloudbase_core::ai::ChatCompletion, Error> {
        self.runtime.block_on(self.client.ai().chat(request))
    }
    fn ai_stream(
        &self,
        request: cloudbase_core::ai::ChatRequest,
    ) -> Result<Vec<Result<cloudbase_core::ai::ChatDelta, Error>>, Error> {
        use futures_util::StreamExt;
        self.runtime.block_on(async {
            let stream = self.client.ai().stream_chat(request).await?;
            Ok(stream.collect().await)
        })
    }
    fn agent_stream(
        &self,
        message: cloudbase_core::ai::SendMessage,
    ) -> Result<Vec<Result<cloudbase_core::ai::AgentEvent, Error>>, Error> {
        use futures_util::StreamExt;
        self.runtime.block_on(async {
            let stream = self.client.ai().send_message(message).await?;
            Ok(stream.collect().await)
        })
    }
    fn ai_bot(&self, call: cloudbase_core::ai::BotCall) -> Result<serde_json::Value, Error> {
        self.runtime.block_on(self.client.ai().bot(call))
    }
    fn ai_list_bots(&self) -> Result<cloudbase_core::ai::BotList, Error> {
        self.runtime.block_on(self.client.ai().list_bots(10, 1))
    }
    fn execute_stream<O, D>(&self, op: O, decoder: D) -> Result<Vec<Result<D::Item, Error>>, Error>
    where
        O: Operation<Output = ()> + Send,
        D: cloudbase_core::stream::StreamDecoder,
    {
        use futures_util::StreamExt;
        self.runtime.block_on(async {
            let stream = self.client.open_stream(op, decoder).await?;
            Ok(stream.collect().await)
        })
    }
    fn service_stream(
        &self,
        name: &str,
        path: &str,
    ) -> Result<Vec<Result<cloudbase_core::sse::SseEvent, Error>>, Error> {
        use futures_util::StreamExt;
        self.runtime.block_on(async {
            let stream = self.client.container(name).get(path).stream().await?;
            Ok(stream.collect().await)
        })
    }
    fn ai_run_tools(
        &self,
        tool_loop: cloudbase_core::ai::ToolLoop,
    ) -> Result<cloudbase_core::ai::ToolLoopResult, Error> {
        self.runtime.block_on(self.client.ai().run_tools(tool_loop))
    }
    fn session(&self) -> Session {
        self.client.session()
    }
    fn device_id(&self) -> String {
        self.client.device_id()
    }
    fn debug(&self) -> String {
        format!("{:?} {:#?}", self.client, self.client)
    }
    fn on_auth_state_change(
        &self,
        listener: impl Fn(&AuthEvent) + Send + Sync + 'static,
    ) -> ListenerId {
        self.client.on_auth_state_change(listener)
    }
}

/// The client surface the scenarios call, delegated the same way for both adapters
/// (the async client through its runtime). The methods that build one operation come
/// from the list the clients themselves are generated from
/// (`cloudbase_core::client_operations!`), so no signature is restated here; the few
/// generic or local methods are listed by hand below.
macro_rules! auth_client {
    (
        extra_async { $( fn $xname:ident(&self $(, $xarg:ident : $xty:ty)*) -> $xret:ty; )* }
        sync { $( fn $sname:ident(&self $(, $sarg:ident : $sty:ty)*) -> $sret:ty; )* }
        $( $(#[$doc:meta])* fn $name:ident [$s:tt] ($($arg:ident : $ty:ty),*) -> $out:ty => $op:expr; )*
    ) => {
        pub trait AuthClient {
            $( fn $name(&self $(, $arg: $ty)*) -> Result<$out, Error>; )*
            $( fn $xname(&self $(, $xarg: $xty)*) -> $xret; )*
            $( fn $sname(&self $(, $sarg: $sty)*) -> $sret; )*
        }
        impl AuthClient for cloudbase_blocking::Client {
            $( fn $name(&self $(, $arg: $ty)*) -> Result<$out, Error> { cloudbase_blocking::Client::$name(self $(, $arg)*) } )*
            $( fn $xname(&self $(, $xarg: $xty)*) -> $xret { cloudbase_blocking::Client::$xname(self $(, $xarg)*) } )*
            $( fn $sname(&self $(, $sarg: $sty)*) -> $sret { cloudbase_blocking::Client::$sname(self $(, $sarg)*) } )*
        }
        impl AuthClient for AsyncClient {
            $( fn $name(&self $(, $arg: $ty)*) -> Result<$out, Error> { self.runtime.block_on(self.client.$name($($arg),*)) } )*
            $( fn $xname(&self $(, $xarg: $xty)*) -> $xret { self.runtime.block_on(self.client.$xname($($xarg),*)) } )*
            $( fn $sname(&self $(, $sarg: $sty)*) -> $sret { self.client.$sname($($sarg),*) } )*
        }
    };
}

use cloudbase_core::auth::CaptchaChallenge;

pub mod data;
pub mod data_scenarios;
pub mod service_scenarios;

/// A captcha solver as the trait passes it.
pub type Solver = Box<dyn Fn(&CaptchaChallenge) -> Option<String> + Send + Sync>;

cloudbase_core::client_operations!([auth_client]
    extra_async {
        fn sign_in_with_custom_ticket(&self, ticket: String) -> Result<Credentials, Error>;
        fn sign_in_with_custom_ticket_from(&self, f: Box<dyn FnOnce() -> Result<String, String> + Send>) -> Result<Credentials, Error>;
    }
    sync {
        fn login_scope(&self) -> Option<String>;
        fn clear_captcha_token(&self) -> ();
        fn set_captcha_solver(&self, solver: Solver) -> ();
        fn clear_captcha_solver(&self) -> ();
    }
);

/// Follows the fake provider's authorize URL the way a browser would, without
/// following its redirect: the `Location` it answers (the app's callback URL).
pub fn browse_to_callback(authorize_url: &str) -> String {
    use std::io::{Read, Write};
    let url = url_parts(authorize_url);
    let mut stream = std::net::TcpStream::connect(&url.0).unwrap();
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        url.1, url.0
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 302"), "{answer}");
    answer
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("location")
                .then(|| v.trim().to_owned())
        })
        .unwrap()
}

/// `(host:port, path?query)` of an `http://` URL.
fn url_parts(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    (host.to_owned(), format!("/{path}"))
}
