//! Fuzz entry `token_verifier`: the JWKS reader, the JWT verifier and the key-set
//! cache's time decisions (the `backend` feature; without it the entry does nothing).

#[cfg(feature = "backend")]
pub fn token_verifier(data: &[u8]) {
    use std::time::{Duration, SystemTime};

    use cloudbase_core::backend::{Audience, KeyCache, KeyDecision, KeySet, key_id, verify_token};
    use cloudbase_core::config::VerificationOptions;

    const JWKS_A: &str = include_str!("../data/jwks_a.json");
    const KEY_A: &str = include_str!("../data/test_rsa_a.pem");

    let mut input = super::Input::new(data);
    let audience = Audience {
        env_id: "demo-env",
        client_id: "demo-env",
    };
    let options = VerificationOptions::new();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let keys = KeySet::from_jwks(JWKS_A.as_bytes()).expect("fixture key set");
    match input.byte() % 4 {
        // Any document as a key set; whatever it accepts can be asked about.
        0 => {
            if let Ok(set) = KeySet::from_jwks(input.rest()) {
                let _ = set.kids().count();
                let _ = verify_token("a.b.c", &set, audience, &options, now);
            }
        }
        // Any text as a token, against the real key.
        1 => {
            let token = String::from_utf8_lossy(input.rest()).into_owned();
            if verify_token(&token, &keys, audience, &options, now).is_ok() {
                assert_eq!(
                    key_id(&token).as_deref(),
                    Ok("key-a"),
                    "accepted without RS256/kid"
                );
            }
        }
        // A valid token with bytes changed: any change is refused (or is no change).
        2 => {
            let s = 1_700_000_000u64;
            let claims = serde_json::json!({
                "sub": "u", "aud": "demo-env", "project_id": "demo-env", "iat": s, "exp": s + 3600,
            });
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            header.kid = Some("key-a".into());
            let key =
                jsonwebtoken::EncodingKey::from_rsa_pem(KEY_A.as_bytes()).expect("fixture key");
            let good = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
            let mut bytes = good.clone().into_bytes();
            while let [at_hi, at_lo, with, ..] = input.take(3) {
                let at = usize::from(u16::from_be_bytes([*at_hi, *at_lo])) % bytes.len();
                bytes[at] = *with;
            }
            let tampered = String::from_utf8_lossy(&bytes).into_owned();
            if tampered != good {
                assert!(
                    verify_token(&tampered, &keys, audience, &options, now).is_err(),
                    "a changed token verified: {tampered}"
                );
            }
        }
        // The cache on arbitrary (extreme) times: decisions never panic, and a
        // given set is always used.
        _ => {
            let mut time = || {
                let raw = u64::from_be_bytes(input.take(8).try_into().unwrap_or([0; 8]));
                SystemTime::UNIX_EPOCH
                    .checked_add(Duration::from_secs(raw >> 2))
                    .unwrap_or(now)
            };
            let options = VerificationOptions::new()
                .cache_for(Duration::from_secs(u64::MAX >> 1))
                .stale_for(Duration::from_secs(u64::MAX >> 1));
            let mut cache = KeyCache::default();
            let (t1, t2, t3) = (time(), time(), time());
            let _ = cache.decide(t1, "key-a", &options);
            cache.fetched(keys.clone(), t1);
            let _ = cache.decide(t2, "key-b", &options);
            let _ = cache.fetch_failed(t2, "x".into(), &VerificationOptions::new());
            let _ = cache.decide(t3, "key-a", &VerificationOptions::new());
            cache.give(keys);
            assert!(matches!(
                cache.decide(t3, "zz", &options),
                KeyDecision::Use(_)
            ));
        }
    }
}

#[cfg(not(feature = "backend"))]
pub fn token_verifier(_data: &[u8]) {}
