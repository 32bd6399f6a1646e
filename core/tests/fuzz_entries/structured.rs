//! Structure-aware inputs: the fuzzer's bytes, read through `arbitrary`, become JSON
//! answers in the very shapes the SDK parses — the right field names, mostly the
//! right kinds — filled with extreme numbers (`u64::MAX`, `i64::MIN`, `1e308`…), long
//! strings and odd Unicode. A byte-level fuzzer almost never writes
//! `{"expires_in": 18446744073709551615, …}` with every other field valid; this one
//! writes little else. One entry point covers every response family, and the
//! persisted session file.

use arbitrary::{Result, Unstructured};

use super::*;

/// A value's expected kind in a response shape.
#[derive(Clone, Copy)]
enum Kind {
    Num,
    Str,
    Bool,
    StrList,
    /// A nested object of this shape.
    Obj(&'static [(&'static str, Kind)]),
    /// A list of objects of this shape.
    ObjList(&'static [(&'static str, Kind)]),
    Any,
}

use Kind::*;

const TOKEN: &[(&str, Kind)] = &[
    ("token_type", Str),
    ("access_token", Str),
    ("refresh_token", Str),
    ("expires_in", Num),
    ("scope", Str),
    ("sub", Str),
    ("groups", StrList),
    ("id_token", Str),
];
const VERIFICATION: &[(&str, Kind)] = &[
    ("verification_id", Str),
    ("expires_in", Num),
    ("is_user", Bool),
];
const VERIFIED: &[(&str, Kind)] = &[("verification_token", Str), ("expires_in", Num)];
const CHALLENGE: &[(&str, Kind)] = &[
    ("token", Str),
    ("data", Str),
    ("type", Str),
    ("expires_in", Num),
];
const CAPTCHA_TOKEN: &[(&str, Kind)] = &[("captcha_token", Str), ("expires_in", Num)];
const PROFILE: &[(&str, Kind)] = &[("sub", Str), ("name", Str), ("email", Str)];
const PROVIDER_TOKEN: &[(&str, Kind)] = &[
    ("provider_token", Str),
    ("expires_in", Num),
    ("provider_profile", Obj(PROFILE)),
];
const SUDO: &[(&str, Kind)] = &[("sudo_token", Str), ("expires_in", Num)];
const USER: &[(&str, Kind)] = &[
    ("sub", Str),
    ("name", Str),
    ("username", Str),
    ("picture", Str),
    ("email", Str),
    ("phone_number", Str),
    ("gender", Str),
    ("groups", StrList),
    ("created_at", Any),
];
const PROVIDERS: &[(&str, Kind)] = &[("data", ObjList(PROFILE)), ("total", Num)];
const RECORD: &[(&str, Kind)] = &[
    ("_id", Str),
    ("title", Str),
    ("done", Bool),
    ("createdAt", Num),
];
const RECORDS: &[(&str, Kind)] = &[("records", ObjList(RECORD)), ("total", Num)];
const MODEL_LIST: &[(&str, Kind)] = &[("data", Obj(RECORDS)), ("requestId", Str)];
const MODEL_ONE: &[(&str, Kind)] = &[("data", Obj(RECORD)), ("requestId", Str)];
const GATEWAY_ERROR: &[(&str, Kind)] = &[("code", Str), ("message", Str), ("requestId", Str)];
const AUTH_ERROR: &[(&str, Kind)] = &[
    ("error", Str),
    ("error_code", Num),
    ("error_description", Str),
];
const COURSE: &[(&str, Kind)] = &[("id", Num), ("name", Str)];
const TEMP_URL: &[(&str, Kind)] = &[
    ("fileID", Str),
    ("tempFileURL", Str),
    ("code", Str),
    ("maxAge", Num),
];
const TEMP_URLS: &[(&str, Kind)] = &[("download_list", ObjList(TEMP_URL))];
const FUNCTION: &[(&str, Kind)] = &[("result", Any), ("code", Str), ("requestId", Str)];
const STORED: &[(&str, Kind)] = &[
    ("token_type", Str),
    ("access_token", Str),
    ("refresh_token", Str),
    ("expires_at", Num),
    ("scope", Str),
    ("sub", Str),
    ("groups", StrList),
];

/// Numbers that break arithmetic, and a few ordinary ones.
fn number(u: &mut Unstructured<'_>) -> Result<serde_json::Value> {
    use serde_json::Value;
    Ok(match u.int_in_range(0..=13)? {
        0 => Value::from(u64::MAX),
        1 => Value::from(i64::MAX),
        2 => Value::from(i64::MIN),
        3 => Value::from(u64::MAX / 2 + 1),
        4 => Value::from(u32::MAX),
        5 => Value::from(-1),
        6 => Value::from(0),
        7 => Value::from(1e308),
        8 => Value::from(-1e308),
        9 => Value::from(0.5),
        10 => Value::from(9_007_199_254_740_993_u64),
        11 => Value::from(u.arbitrary::<i64>()?),
        12 => Value::from(u.arbitrary::<u64>()?),
        _ => Value::from(u.int_in_range(0..=7200_u64)?),
    })
}

/// Strings: empty, long, odd Unicode, JWT-looking, or arbitrary.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    const ODD: &[&str] = &[
        "\u{202e}evil\u{202c}",
        "\u{0}",
        "\u{feff}",
        "e\u{301}",
        "🦀🦀",
        "\u{fffd}",
        "\u{10ffff}",
        "\r\n\t",
        "%00%2e%2e/",
        "Bearer x",
    ];
    Ok(match u.int_in_range(0..=6)? {
        0 => String::new(),
        1 => "x".repeat(usize::from(u.arbitrary::<u16>()?)),
        2 => (*u.choose(ODD)?).to_owned(),
        3 => {
            let payload = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                format!(r#"{{"exp":{},"sub":"u"}}"#, number(u)?),
            );
            format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")
        }
        _ => u.arbitrary::<String>()?,
    })
}

/// Any JSON value, nested at most `depth` deep.
fn any(u: &mut Unstructured<'_>, depth: u8) -> Result<serde_json::Value> {
    use serde_json::Value;
    let top = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => number(u)?,
        3 => Value::String(text(u)?),
        4 => Value::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| any(u, depth - 1))
                .collect::<Result<_>>()?,
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                map.insert(text(u)?, any(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// A value mostly of `kind`, sometimes of any kind (a server that changed its mind).
fn value(u: &mut Unstructured<'_>, kind: Kind, depth: u8) -> Result<serde_json::Value> {
    use serde_json::Value;
    if u.ratio(1, 8)? {
        return any(u, depth.min(2));
    }
    Ok(match kind {
        Num => number(u)?,
        Str => Value::String(text(u)?),
        Bool => Value::Bool(u.arbitrary()?),
        StrList => Value::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| text(u).map(Value::String))
                .collect::<Result<_>>()?,
        ),
        Obj(shape) => object(u, shape, depth.saturating_sub(1))?,
        ObjList(shape) => Value::Array(
            (0..u.int_in_range(0..=4)?)
                .map(|_| object(u, shape, depth.saturating_sub(1)))
                .collect::<Result<_>>()?,
        ),
        Any => any(u, depth.min(2))?,
    })
}

/// An object of `shape`: each field usually present, sometimes an extra one.
fn object(
    u: &mut Unstructured<'_>,
    shape: &[(&'static str, Kind)],
    depth: u8,
) -> Result<serde_json::Value> {
    let mut map = serde_json::Map::new();
    for (name, kind) in shape {
        if !u.ratio(1, 10)? {
            map.insert((*name).to_owned(), value(u, *kind, depth)?);
        }
    }
    if u.ratio(1, 10)? {
        map.insert(text(u)?, any(u, 1)?);
    }
    Ok(serde_json::Value::Object(map))
}

/// An answer: mostly 200 with a body of `shape`, else an error status with one of the
/// two error envelopes.
fn answer(u: &mut Unstructured<'_>, shape: &[(&'static str, Kind)]) -> Result<Answer> {
    let (status, body) = if u.ratio(4, 5)? {
        (200, object(u, shape, 3)?)
    } else {
        let status = *u.choose(&[400_u16, 401, 403, 404, 429, 500, 503])?;
        let envelope = if u.arbitrary()? {
            AUTH_ERROR
        } else {
            GATEWAY_ERROR
        };
        (status, object(u, envelope, 1)?)
    };
    let content_range = if u.ratio(1, 3)? {
        Some(format!("0-{}/{}", number(u)?, number(u)?))
    } else {
        None
    };
    let retry_after = if u.ratio(1, 4)? {
        Some(number(u)?.to_string())
    } else {
        None
    };
    Ok(Answer {
        status,
        content_type: "application/json",
        content_range,
        retry_after,
        body: serde_json::to_vec(&body).expect("JSON serializes"),
    })
}

/// A JSON array answer of objects of `shape` (MySQL REST rows).
fn rows(u: &mut Unstructured<'_>, shape: &'static [(&'static str, Kind)]) -> Result<Answer> {
    let mut a = answer(u, shape)?;
    if a.status == 200 {
        let list = value(u, ObjList(shape), 2)?;
        a.body = serde_json::to_vec(&list).expect("JSON serializes");
    }
    Ok(a)
}

fn good(body: serde_json::Value) -> Answer {
    Answer {
        status: 200,
        content_type: "application/json",
        content_range: None,
        retry_after: None,
        body: serde_json::to_vec(&body).expect("JSON serializes"),
    }
}

/// The structure-aware target: picks a response family, builds an answer of its
/// shape, and drives the matching operation to the end. Any panic is a finding.
pub fn structured_responses(data: &[u8]) {
    let _ = run(&mut Unstructured::new(data));
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let family = u.int_in_range(0..=13_u8)?;
    match family {
        0 => {
            let mut st = state(false);
            let ok = drive(&mut st, SignInAnonymously::new(), &answer(u, TOKEN)?).is_ok();
            assert_eq!(ok, st.session().credentials().is_some());
        }
        1 => {
            // A refresh: the session's token has expired, so the call refreshes first.
            let mut st = state(false);
            st.session_mut()
                .sign_in(credentials("at-old", Some("rt-old"), "user", 0, t0()));
            let _ = st.session_mut().take_events();
            let a = answer(u, TOKEN)?;
            let _ = drive(&mut st, GetUser::new(), &a);
        }
        2 => {
            let mut st = state(false);
            let contact = Contact::parse("a@b.co").expect("valid contact");
            let _ = drive(
                &mut st,
                SendVerification::for_sign_in(contact),
                &answer(u, VERIFICATION)?,
            );
        }
        3 => {
            let mut st = state(false);
            let contact = Contact::parse("a@b.co").expect("valid contact");
            let handle = drive(
                &mut st,
                SendVerification::for_sign_in(contact),
                &good(serde_json::json!({"verification_id": "v-1", "expires_in": 600})),
            )
            .expect("a well-formed verification answer");
            let _ = drive(
                &mut st,
                VerifyCode::new(&handle, "123456"),
                &answer(u, VERIFIED)?,
            );
        }
        4 => {
            let mut st = state(false);
            let _ = drive(
                &mut st,
                CreateCaptchaData::new("POST:/v1/verification"),
                &answer(u, CHALLENGE)?,
            );
        }
        5 => {
            let mut st = state(false);
            let challenge = drive(
                &mut st,
                CreateCaptchaData::new("s"),
                &good(serde_json::json!({"token": "c-1", "data": "data:image/png;base64,", "expires_in": 60})),
            )
            .expect("a well-formed challenge");
            let _ = drive(
                &mut st,
                VerifyCaptchaData::new(&challenge, "abcd"),
                &answer(u, CAPTCHA_TOKEN)?,
            );
        }
        6 => {
            let mut st = state(false);
            let _ = drive(
                &mut st,
                GrantProviderToken::code("github", "code-1", "https://app.example/cb"),
                &answer(u, PROVIDER_TOKEN)?,
            );
        }
        7 => {
            let mut st = state(true);
            let _ = drive(&mut st, Sudo::with_password("pw-fuzz"), &answer(u, SUDO)?);
        }
        8 => {
            let mut st = state(true);
            let _ = drive(&mut st, GetUser::new(), &answer(u, USER)?);
            let _ = drive(&mut st, GetProviders::new(), &answer(u, PROVIDERS)?);
        }
        9 => {
            let mut st = state(true);
            let model = Model::new("todo").expect("valid model");
            let query = Query::new().with_count();
            let list = answer(u, MODEL_LIST)?;
            let _ = drive(&mut st, model.list::<Row>(&query).expect("valid"), &list);
            let _ = drive(
                &mut st,
                model.list::<serde_json::Value>(&query).expect("valid"),
                &list,
            );
            let one = answer(u, MODEL_ONE)?;
            let _ = drive(
                &mut st,
                model.get_by_id::<Row>("id-1").expect("valid"),
                &one,
            );
        }
        10 => {
            let mut st = state(true);
            let query = || from("course").select("id,name");
            let a = rows(u, COURSE)?;
            let _ = drive(&mut st, query().fetch_counted::<serde_json::Value>(), &a);
            let _ = drive(&mut st, query().single::<serde_json::Value>(), &a);
            let _ = drive(&mut st, query().count(), &a);
        }
        11 => {
            let mut st = state(true);
            let a = answer(u, FUNCTION)?;
            if let Ok(result) = drive(&mut st, CallFunction::new("echo").expect("valid"), &a) {
                let _ = result.json::<serde_json::Value>();
                let _ = result.json::<HashMap<String, i64>>();
            }
        }
        12 => {
            let mut st = state(true);
            let ids = ["cloud://env.6465-env-1/bucket/a.txt"];
            let a = answer(u, TEMP_URLS)?;
            let _ = drive(&mut st, TempFileUrls::temp_urls(ids).expect("valid"), &a);
        }
        _ => {
            // A persisted session file of any values: loaded, then used.
            let stored = object(u, STORED, 2)?;
            let file = serde_json::json!({"version": 1, "sessions": {"fuzz-env:fuzz-env": stored}});
            let key = cloudbase_core::store::StoreKey {
                env_id: "fuzz-env".into(),
                client_id: "fuzz-env".into(),
            };
            let bytes = serde_json::to_vec(&file).expect("JSON serializes");
            if let Ok(Some(credentials)) = cloudbase_core::store::file_format::read(&bytes, &key) {
                let _ = credentials.expires_within(t0(), Duration::from_secs(30));
                let mut st = state(false);
                st.session_mut().sign_in(credentials);
                let _ = drive(&mut st, GetUser::new(), &answer(u, USER)?);
            }
        }
    }
    Ok(())
}
