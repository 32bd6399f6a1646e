//! Functions, CloudBase Run, HTTP APIs and storage, end to end; each scenario runs
//! on both adapters (see `adapters.rs`).

use std::sync::{Arc, Mutex};

use cloudbase_core::functions::{CallFunction, ServiceCall};
use cloudbase_core::storage::{CopyFile, DeleteFiles, DownloadFile, TempFileUrls, UploadFile};
use cloudbase_core::transfer::{Direction, ProgressFn, TransferProgress, UploadSource};
use cloudbase_core::{BuildError, Error, GatewayErrorCode};
use cloudbase_emulator::{Emulator, FunctionRequest, FunctionResponse};
use http::Method;
use serde_json::{Value, json};

use super::{PUBLISHABLE_KEY, TestClient, config_for, emulator};

/// A service that answers what it saw.
fn mirror(req: &FunctionRequest) -> FunctionResponse {
    FunctionResponse::json(&json!({
        "name": req.name,
        "method": req.method.as_str(),
        "path": req.path,
        "query": req.query,
        "body": String::from_utf8_lossy(&req.body),
        "authorization": req.headers.get("authorization").and_then(|v| v.to_str().ok()),
        "custom": req.headers.get("x-custom").and_then(|v| v.to_str().ok()),
    }))
}

fn signed_in<C: TestClient>() -> (Emulator, C) {
    let emu = emulator();
    emu.register_function("greet", |_| FunctionResponse::text("hello, world"));
    emu.register_container("shop", mirror);
    emu.register_container("sick", |_| {
        FunctionResponse::json(&json!({"code": "SERVICE_NOT_READY", "message": "warming up"}))
            .with_status(503)
    });
    emu.register_api("echo-api", mirror);
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    c.sign_in_anonymously().unwrap();
    (emu, c)
}

fn gateway_code(e: &Error) -> Option<GatewayErrorCode> {
    match e {
        Error::Server(s) => s.code.gateway().cloned(),
        _ => None,
    }
}

/// Progress events collected from a transfer.
fn recorder() -> (ProgressFn, Arc<Mutex<Vec<TransferProgress>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    (Arc::new(move |p| sink.lock().unwrap().push(p)), log)
}

pub fn functions_text_json_typed_and_errors<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    #[derive(serde::Deserialize, PartialEq, Debug)]
    struct Sum {
        a: i64,
        b: Vec<String>,
    }
    let out = c
        .call_function("echo", &json!({"a": 1, "b": ["x y"]}))
        .unwrap();
    assert!(out.is_json());
    assert_eq!(
        out.json::<Sum>().unwrap(),
        Sum {
            a: 1,
            b: vec!["x y".into()]
        }
    );
    let sent = emu.requests_to("/v1/functions/echo");
    assert_eq!(
        sent[0].header("x-request-id"),
        Some(out.request_id.as_str())
    );

    let text = c.call_function("greet", &json!({})).unwrap();
    assert!(!text.is_json());
    assert_eq!(text.text().unwrap(), "hello, world");

    // Version selection and the web-function header reach the service.
    let call = CallFunction::new("echo")
        .unwrap()
        .qualifier("2")
        .web(true)
        .header("x-custom", "v1")
        .unwrap();
    c.execute(call).unwrap();
    let last = emu.requests_to("/v1/functions/echo").pop().unwrap();
    assert_eq!(last.header("x-qualifier"), Some("2"));
    assert_eq!(last.header("x-tcb-webfn"), Some("true"));
    assert_eq!(last.header("x-custom"), Some("v1"));

    // A function error is the typed server error.
    let err = c.call_function("fail", &json!({})).unwrap_err();
    assert_eq!(
        gateway_code(&err),
        Some(GatewayErrorCode::FunctionParamInvalid)
    );
    assert!(!err.is_retryable());
    let err = c.call_function("nope", &json!({})).unwrap_err();
    assert_eq!(gateway_code(&err), Some(GatewayErrorCode::ResourceNotFound));

    // Bad names never leave the machine.
    let before = emu.requests().len();
    for bad in ["../admin", "a/b", "x?y", "a#b", "a\nb", ""] {
        let err = c.call_function(bad, &json!({})).unwrap_err();
        assert!(
            matches!(err, Error::Build(BuildError::InvalidName { .. })),
            "{bad:?}"
        );
    }
    assert_eq!(emu.requests().len(), before);
}

pub fn containers_methods_queries_and_errors<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    // Default method POST, empty path → `/`, data as the JSON body.
    let out: Value = c
        .call_container(
            "shop",
            None,
            "",
            &[("x-custom", "v3")],
            Some(&json!({"a": 1})),
        )
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(out["method"], "POST");
    assert_eq!(out["path"], "/");
    assert_eq!(out["body"], r#"{"a":1}"#);
    assert_eq!(out["custom"], "v3");
    assert!(
        emu.requests_to("/v1/cloudrun/shop/")[0]
            .header("x-request-id")
            .is_none()
    );

    // GET: data becomes encoded query parameters that decode to exactly the values.
    let hostile = "a b&c=d#e%f+g";
    let out: Value = c
        .call_container(
            "shop",
            Some(Method::GET),
            "api/items",
            &[],
            Some(&json!({"q": hostile, "n": 2})),
        )
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(out["method"], "GET");
    assert_eq!(out["path"], "/api/items");
    let query = out["query"].as_str().unwrap().to_owned();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        pairs,
        [("n".into(), "2".into()), ("q".into(), hostile.into())]
    );
    assert_eq!(out["body"], "");

    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let out: Value = c
            .call_container("shop", Some(method.clone()), "/items/1", &[], None)
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(out["method"], method.as_str());
        assert_eq!(out["path"], "/items/1");
    }

    // The function-type variant carries a request id and returns it.
    let out = c
        .execute(
            ServiceCall::container_function("shop")
                .unwrap()
                .data(&json!({"a": 1}))
                .unwrap(),
        )
        .unwrap();
    let sent = emu.requests_to("/v1/cloudrun/shop/").pop().unwrap();
    assert_eq!(sent.header("x-request-id"), Some(out.request_id.as_str()));

    // SERVICE_* errors are typed.
    let err = c.call_container("ghost", None, "/", &[], None).unwrap_err();
    assert_eq!(gateway_code(&err), Some(GatewayErrorCode::ServiceNotFound));
    let err = c
        .call_container("sick", Some(Method::GET), "/", &[], None)
        .unwrap_err();
    assert_eq!(gateway_code(&err), Some(GatewayErrorCode::ServiceNotReady));
    assert!(err.is_retryable());

    // Refused before sending.
    let before = emu.requests().len();
    assert!(c.call_container("a/b", None, "/", &[], None).is_err());
    assert!(
        c.call_container("shop", None, "/../admin", &[], None)
            .is_err()
    );
    assert!(c.call_container("shop", None, "/x?y=1", &[], None).is_err());
    assert!(
        c.call_container("shop", Some(Method::GET), "/", &[], Some(&json!([1])))
            .is_err()
    );
    assert_eq!(emu.requests().len(), before);
}

pub fn apis_every_method_and_token_override<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    let methods = [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::DELETE,
        Method::POST,
        Method::PUT,
        Method::PATCH,
    ];
    for method in methods {
        let body = json!({"title": "t"});
        let out = c
            .apis_request("echo-api", None, method.clone(), "/items", Some(&body))
            .unwrap();
        let sent = emu.requests_to("/v1/apis/echo-api/items").pop().unwrap();
        assert_eq!(sent.method, method.as_str());
        if method == Method::HEAD {
            assert!(out.body.is_empty());
            continue;
        }
        let seen: Value = out.json().unwrap();
        if method == Method::GET || method == Method::OPTIONS {
            // GET sends the body as a query; OPTIONS sends it as JSON.
            assert_eq!(seen["query"].as_str().is_some(), method == Method::GET);
        } else {
            assert_eq!(seen["body"], r#"{"title":"t"}"#);
        }
        let user_bearer = seen["authorization"].as_str().unwrap();
        assert!(user_bearer.starts_with("Bearer ey"), "the session's token");
    }
    // No body on POST → `{}`, as the JS SDK; no path → trailing slash.
    let seen: Value = c
        .apis_request("echo-api", None, Method::POST, "", None)
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(seen["body"], "{}");
    assert_eq!(seen["path"], "/");
    // An explicit token wins over the session's.
    let seen: Value = c
        .apis_request("echo-api", Some(PUBLISHABLE_KEY), Method::GET, "/me", None)
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(seen["authorization"], format!("Bearer {PUBLISHABLE_KEY}"));
    let err = c
        .apis_request("missing-api", None, Method::GET, "/", None)
        .unwrap_err();
    assert_eq!(gateway_code(&err), Some(GatewayErrorCode::ResourceNotFound));
}

pub fn classic_storage_round_trip<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"hello, storage".to_vec();
    let (progress, events) = recorder();
    let up = c
        .upload_file(
            "bucket-a/dir/hello.txt",
            UploadSource::bytes(bytes.clone()),
            Some("text/plain"),
            Some(progress),
        )
        .unwrap();
    assert!(
        up.file_id.starts_with("cloud://demo-env."),
        "{}",
        up.file_id
    );
    assert!(up.file_id.ends_with("/bucket-a/dir/hello.txt"));
    let last = *events.lock().unwrap().last().unwrap();
    assert_eq!(
        last,
        TransferProgress::new(
            Direction::Upload,
            bytes.len() as u64,
            Some(bytes.len() as u64)
        )
    );
    // Step 1 signed the length and type; step 2 sent them with a real Content-Length.
    let info = emu
        .requests_to("/v1/storages/get-objects-upload-info")
        .pop()
        .unwrap();
    let step1: Value = serde_json::from_slice(&info.body).unwrap();
    assert_eq!(
        step1,
        json!([{"objectId": "bucket-a/dir/hello.txt", "signedHeader": {"content-length": ["14"], "content-type": ["text/plain"]}}])
    );
    let put = emu
        .requests_to("/cos/bucket-a/dir/hello.txt")
        .pop()
        .unwrap();
    assert_eq!(put.method, "PUT");
    assert_eq!(put.header("content-length"), Some("14"));
    assert!(put.header("transfer-encoding").is_none());
    assert!(put.header("x-cos-security-token").is_some());

    // Temp URLs, per item.
    let missing = up.file_id.replace("hello.txt", "nope.txt");
    let no_bucket = up.file_id.replace("bucket-a/", "no-such-bucket/");
    let urls = c
        .execute(
            TempFileUrls::temp_urls([up.file_id.as_str(), missing.as_str(), no_bucket.as_str()])
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        urls[2].url.as_ref().unwrap_err().code,
        GatewayErrorCode::StorageBucketNotFound,
        "a bucket never written to"
    );
    assert!(
        urls[0]
            .url
            .as_ref()
            .unwrap()
            .contains("/cos/bucket-a/dir/hello.txt?sign=")
    );
    assert_eq!(
        urls[1].url.as_ref().unwrap_err().code,
        GatewayErrorCode::Unknown("STORAGE_FILE_NONEXIST".into())
    );

    // Metadata without the bytes: a temp URL, then HEAD (the JS SDK's getFileInfo).
    let info = c
        .execute(cloudbase_core::storage::GetFileInfo::new(&up.file_id).unwrap())
        .unwrap();
    assert_eq!(info.size, Some(bytes.len() as u64));
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));
    assert!(
        info.etag.is_some() && info.last_modified.is_some(),
        "{info:?}"
    );
    let heads: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "HEAD")
        .collect();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].header("authorization").is_none(),
        "no bearer to the storage host"
    );
    let gone = c.execute(cloudbase_core::storage::GetFileInfo::new(&missing).unwrap());
    assert!(
        matches!(&gone, Err(Error::Server(s)) if s.code == cloudbase_core::ServerCode::Gateway(GatewayErrorCode::Unknown("STORAGE_FILE_NONEXIST".into()))),
        "{gone:?}"
    );

    // Download to memory and to a file.
    assert_eq!(
        c.execute(DownloadFile::new(&up.file_id).unwrap())
            .unwrap()
            .body,
        bytes
    );
    let target = dir.path().join("hello.txt");
    assert_eq!(
        c.download_file(&up.file_id, &target, None).unwrap(),
        bytes.len() as u64
    );
    assert_eq!(std::fs::read(&target).unwrap(), bytes);

    // Copy, then delete both; a second delete reports per item.
    let copy_id = c
        .execute(CopyFile::new("bucket-a/dir/hello.txt", "bucket-a/dir/copy.txt").unwrap())
        .unwrap();
    assert!(copy_id.ends_with("/bucket-a/dir/copy.txt"));
    let gone = c
        .execute(DeleteFiles::delete([up.file_id.as_str(), copy_id.as_str()]).unwrap())
        .unwrap();
    assert!(gone.iter().all(|o| o.error.is_none()), "{gone:?}");
    let again = c
        .execute(DeleteFiles::delete([up.file_id.as_str()]).unwrap())
        .unwrap();
    assert!(again[0].error.is_some());

    // An expired download URL is a typed 403, and nothing is left at the target.
    c.upload_file(
        "bucket-a/x.bin",
        UploadSource::bytes(vec![1u8; 10]),
        None,
        None,
    )
    .unwrap();
    emu.set_download_url_lifetime(std::time::Duration::ZERO);
    let id = format!(
        "{}bucket-a/x.bin",
        up.file_id.split("bucket-a/").next().unwrap()
    );
    let expired = dir.path().join("expired.bin");
    let err = c.download_file(&id, &expired, None).unwrap_err();
    assert!(
        matches!(&err, Error::Server(s) if s.status == 403),
        "{err:?}"
    );
    assert!(!expired.exists() && !dir.path().join("expired.bin.part").exists());

    // Refused before sending: no bucket prefix, `..`, a foreign id, a missing file.
    let before = emu.requests().len();
    assert!(matches!(
        UploadFile::new("hello.txt", 1),
        Err(BuildError::InvalidName { .. })
    ));
    assert!(UploadFile::new("bucket-a/../etc/passwd", 1).is_err());
    assert!(DownloadFile::new("https://elsewhere/x").is_err());
    let err = c
        .upload_file(
            "bucket-a/y",
            UploadSource::file(dir.path().join("absent")),
            None,
            None,
        )
        .unwrap_err();
    assert!(matches!(err, Error::File { .. }));
    assert_eq!(emu.requests().len(), before);
}

pub fn bucket_storage_round_trip<C: TestClient>() {
    let (emu, c) = signed_in::<C>();
    let dir = tempfile::tempdir().unwrap();
    let stored = c
        .bucket_upload(
            "bucket-a",
            "/dir//hello world.txt",
            UploadSource::bytes(&b"hello"[..]),
            None,
        )
        .unwrap();
    assert_eq!(stored.path, "dir/hello world.txt");
    assert_eq!(stored.full_path, "bucket-a/dir/hello world.txt");
    let sent = emu
        .requests()
        .into_iter()
        .rfind(|r| r.path.starts_with("/v1/storages/object/"))
        .unwrap();
    assert_eq!(
        sent.path,
        "/v1/storages/object/bucket-a/dir/hello%20world.txt"
    );
    assert_eq!(sent.header("x-upsert"), Some("true"));
    assert_eq!(sent.header("cache-control"), Some("max-age=3600"));

    let target = dir.path().join("out.txt");
    assert_eq!(
        c.bucket_download("bucket-a", "dir/hello world.txt", &target, None)
            .unwrap(),
        5
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"hello");

    let bucket = cloudbase_core::storage::objects::Bucket::new("bucket-a").unwrap();
    let info = c
        .execute(bucket.info("dir/hello world.txt").unwrap())
        .unwrap();
    assert_eq!(info.size, Some(5));
    let url = c
        .execute(bucket.create_signed_url("dir/hello world.txt", 60).unwrap())
        .unwrap();
    assert!(url.starts_with(emu.base_url()), "{url}");
    let fetched = ureq::get(&url)
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert_eq!(fetched, b"hello");
    // Many at once; a missing name is that entry's error.
    let urls = c
        .execute(
            bucket
                .create_signed_urls(&["dir/hello world.txt", "dir/none.txt"], 60)
                .unwrap(),
        )
        .unwrap();
    assert_eq!(urls.len(), 2);
    assert_eq!(urls[0].path, "dir/hello world.txt");
    let first = urls[0].url.as_ref().unwrap();
    let fetched = ureq::get(first)
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert_eq!(fetched, b"hello");
    assert!(urls[1].url.is_err(), "{:?}", urls[1]);
    let sent = emu.requests_to("/v1/storages/object/sign/bucket-a");
    assert_eq!(
        serde_json::from_slice::<Value>(&sent[0].body).unwrap(),
        json!({"expiresIn": 60, "paths": ["dir/hello world.txt", "dir/none.txt"]}),
        "the JS SDK's createSignedUrls body (transcript storage/from(bucket).createSignedUrls)"
    );
    assert!(bucket.create_signed_urls::<&str>(&[], 60).is_err());

    let key = c
        .execute(
            bucket
                .copy("dir/hello world.txt", "dir/b.txt", None)
                .unwrap(),
        )
        .unwrap();
    assert_eq!(key, "bucket-a/dir/b.txt");
    c.execute(bucket.move_object("dir/b.txt", "dir/c.txt", None).unwrap())
        .unwrap();
    let list = c
        .execute(
            bucket
                .list(&cloudbase_core::storage::objects::Listing::prefix("dir").limit(10))
                .unwrap(),
        )
        .unwrap();
    let names: Vec<_> = list.objects.iter().filter_map(|o| o.name.clone()).collect();
    assert_eq!(names, ["dir/c.txt", "dir/hello world.txt"]);
    let removed = c
        .execute(
            bucket
                .remove(&["dir/c.txt", "dir/hello world.txt"])
                .unwrap(),
        )
        .unwrap();
    assert_eq!(removed.len(), 2);
    let err = c.execute(bucket.info("dir/c.txt").unwrap()).unwrap_err();
    assert!(matches!(&err, Error::Server(s) if s.status == 404));
    // A plain upload over an existing object is refused by the service.
    let opts = cloudbase_core::storage::objects::ObjectOptions::default();
    let once = bucket.upload("dup.txt", 1, &opts).unwrap();
    let t = cloudbase_core::transfer::Transfer::new().source(UploadSource::bytes(&b"1"[..]));
    c.execute_transfer(once, &t).unwrap();
    let twice = bucket.upload("dup.txt", 1, &opts).unwrap();
    assert!(matches!(c.execute_transfer(twice, &t), Err(Error::Server(s)) if s.status == 409));
    assert!(cloudbase_core::storage::objects::Bucket::new("a/b").is_err());
    assert!(bucket.info("../x").is_err());
}

/// Names with a space, `#`, `?`, `%`, CJK and emoji: uploaded, downloaded into memory
/// and to a file, and their temporary URLs fetched as they are handed to the caller.
/// The emulator answers download URLs with the path unencoded, as the official SDK's
/// `encodeURI` implies the service does; the SDK encodes the key itself.
pub fn storage_names_with_reserved_and_non_ascii_characters<C: TestClient>() {
    let (_emu, c) = signed_in::<C>();
    let dir = tempfile::tempdir().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for (i, name) in [
        "dir/hello world.txt",
        "a#b.txt",
        "q?x=1.txt",
        "100%.txt",
        "50%25.txt",
        "中文/文件.txt",
        "emoji 🦀.bin",
    ]
    .iter()
    .enumerate()
    {
        let content = format!("content of {name}").into_bytes();
        let up = c
            .upload_file(
                &format!("bucket-a/{name}"),
                UploadSource::bytes(content.clone()),
                None,
                None,
            )
            .unwrap_or_else(|e| panic!("upload {name}: {e}"));
        let got = c
            .execute(DownloadFile::new(&up.file_id).unwrap())
            .unwrap_or_else(|e| panic!("download {name}: {e}"));
        assert_eq!(got.body, content, "{name}");
        let target = dir.path().join(format!("{i}.bin"));
        let n = c.download_file(&up.file_id, &target, None).unwrap();
        assert_eq!(n, content.len() as u64, "{name}");
        let urls = c
            .execute(TempFileUrls::temp_urls([up.file_id.as_str()]).unwrap())
            .unwrap();
        let url = urls[0].url.as_ref().unwrap();
        let mut fetched = agent.get(url).call().unwrap();
        assert_eq!(fetched.status().as_u16(), 200, "{name}: {url}");
        assert_eq!(fetched.body_mut().read_to_vec().unwrap(), content, "{name}");
    }
}
