//! HS256 JSON Web Tokens (RFC 7519 / 7515 compact form), as ContextForge 1.0.x
//! mints and checks them.
//!
//! Guarantees: [`verify`] accepts a token only if its header says HS256, its
//! signature matches the secret, and its claims parse as a JSON object; every
//! other input is an [`JwtError`], never a panic.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    Malformed(&'static str),
    Algorithm(String),
    Signature,
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtError::Malformed(what) => write!(f, "Invalid token: {what}"),
            JwtError::Algorithm(alg) => write!(f, "Invalid token: unsupported algorithm {alg}"),
            JwtError::Signature => f.write_str("Invalid token: signature verification failed"),
        }
    }
}

/// An HMAC-SHA256 keyed with `secret`. The key's two padded blocks are hashed once
/// per secret and thread (a secret is one service's: the last one keyed is kept), and
/// that state cloned: a key's state depends on the key alone.
fn keyed(secret: &[u8]) -> Hmac<Sha256> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Vec<u8>, Hmac<Sha256>)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((key, mac)) if key.as_slice() == secret => mac.clone(),
        _ => {
            let mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
            *last = Some((secret.to_vec(), mac.clone()));
            mac
        }
    })
}

#[cfg(test)]
fn sign(secret: &[u8], signing_input: &str) -> Vec<u8> {
    let mut mac = keyed(secret);
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Encodes `claims` as an HS256 JWT.
pub fn mint(secret: &[u8], claims: &Map<String, Value>) -> String {
    let payload = serde_json::to_vec(claims).expect("a JSON map serializes");
    let mut token = String::with_capacity(MINTED_HEADER_B64.len() + 1 + payload.len().div_ceil(3) * 4 + 44);
    token.push_str(MINTED_HEADER_B64);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let mut mac = keyed(secret);
    mac.update(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
    token
}

/// Checks the signature and returns the claims.
pub fn verify(secret: &[u8], token: &str) -> Result<Map<String, Value>, JwtError> {
    claims_object(&verified_payload(secret, token)?)
}

/// [`verify`], with the claims read into the reader's own shape `T` (its fields
/// built, the others skipped): what [`verify`] refuses this refuses with the same
/// error, and what it accepts reads as `T` read from [`verify`]'s claims would.
/// `T`'s fields should read any JSON (an optional [`Value`], or [`lenient`]), so
/// that a claim of an unexpected type reads as absent, not as a refusal.
pub fn verify_as<T: DeserializeOwned>(secret: &[u8], token: &str) -> Result<T, JwtError> {
    let payload = verified_payload(secret, token)?;
    if payload.trim_ascii_start().starts_with(b"{") {
        if let Ok(claims) = serde_json::from_slice(&payload) {
            return Ok(claims);
        }
    }
    // Not an object, not JSON, or an object `T` does not read directly (a repeated
    // claim): decided as `verify` decides it.
    T::deserialize(Value::Object(claims_object(&payload)?)).map_err(|_| JwtError::Malformed("claims are not an object"))
}

/// A claim of any JSON type read as `Some` when it is a `T` (a string, a
/// non-negative integer, ...) and as `None` otherwise, as `Value::as_str` or
/// `Value::as_u64` read a [`verify`] claim. For `#[serde(default, deserialize_with = "lenient")]`.
pub fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(serde_json::from_value(Value::deserialize(deserializer)?).ok())
}

/// The JOSE header this module mints, byte for byte: a token carrying it needs no parse.
const MINTED_HEADER: &[u8] = br#"{"alg":"HS256","typ":"JWT"}"#;

/// [`MINTED_HEADER`] in base64url, the only text that decodes to it (the engine
/// refuses padding and non-zero trailing bits).
const MINTED_HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// The claims segment of `token`, decoded, once its header says HS256 and its
/// signature matches `secret`.
fn verified_payload(secret: &[u8], token: &str) -> Result<Vec<u8>, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed("not three segments"));
    };
    // The minted header's text needs no decoding (base64url has one text for it).
    if h != MINTED_HEADER_B64 {
        let header = decode(h)?;
        if header != MINTED_HEADER {
            let header: Value =
                serde_json::from_slice(&header).map_err(|_| JwtError::Malformed("segment is not JSON"))?;
            let alg = header.get("alg").and_then(Value::as_str).unwrap_or("none");
            if alg != "HS256" {
                return Err(JwtError::Algorithm(alg.to_string()));
            }
        }
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed("signature is not base64url"))?;
    let mut mac = keyed(secret);
    mac.update(h.as_bytes());
    mac.update(b".");
    mac.update(p.as_bytes());
    mac.verify_slice(&signature).map_err(|_| JwtError::Signature)?;
    decode(p)
}

fn decode(segment: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| JwtError::Malformed("segment is not base64url"))
}

fn claims_object(payload: &[u8]) -> Result<Map<String, Value>, JwtError> {
    match serde_json::from_slice(payload).map_err(|_| JwtError::Malformed("segment is not JSON"))? {
        Value::Object(claims) => Ok(claims),
        _ => Err(JwtError::Malformed("claims are not an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_minted_token_verifies_and_a_tampered_one_does_not() {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("sanm.dangerous-vector@yamon.io"));
        let token = mint(b"secret", &claims);
        assert_eq!(verify(b"secret", &token).unwrap(), claims);
        assert_eq!(verify(b"other", &token), Err(JwtError::Signature));
        assert!(matches!(verify(b"secret", "a.b"), Err(JwtError::Malformed(_))));
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), token.split('.').nth(1).unwrap());
        assert_eq!(verify(b"secret", &none), Err(JwtError::Algorithm("none".into())));
    }

    #[test]
    fn the_minted_header_is_the_one_json_spells() {
        assert_eq!(MINTED_HEADER, json!({"alg": "HS256", "typ": "JWT"}).to_string().as_bytes());
        assert_eq!(MINTED_HEADER_B64, URL_SAFE_NO_PAD.encode(MINTED_HEADER));
    }

    /// `mint` as it was: each part formatted, the HMAC keyed for the call.
    fn minted_by_format(secret: &[u8], claims: &Map<String, Value>) -> String {
        let header = URL_SAFE_NO_PAD.encode(MINTED_HEADER);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("a JSON map serializes"));
        let input = format!("{header}.{payload}");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key");
        mac.update(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn tokens_are_the_ones_minted_with_a_fresh_key_as_secrets_alternate() {
        // Secrets of every length around the block (64 bytes: longer ones are hashed),
        // alternating so that the kept key is replaced between calls.
        let secrets: Vec<Vec<u8>> = [0, 1, 31, 32, 63, 64, 65, 200].iter().map(|n| vec![b'k'; *n]).collect();
        for round in 0..3 {
            for (i, secret) in secrets.iter().chain(secrets.iter().rev()).enumerate() {
                let mut claims = Map::new();
                claims.insert("sub".into(), json!(format!("agent-{round}-{i}@yamon.io")));
                claims.insert("exp".into(), json!(1_780_315_200 + i));
                claims.insert("pad".into(), json!("x".repeat(i * 13)));
                let token = mint(secret, &claims);
                assert_eq!(token, minted_by_format(secret, &claims), "secret of {} bytes", secret.len());
                assert_eq!(verify(secret, &token), Ok(claims.clone()));
                let other = if secret.is_empty() { b"o".to_vec() } else { Vec::new() };
                assert_eq!(verify(&other, &token), Err(JwtError::Signature), "secret of {} bytes", secret.len());
            }
        }
    }

    #[test]
    fn a_header_other_than_the_minted_text_is_read_as_before() {
        let claims = r#"{"sub":"a"}"#;
        for (header, verdict) in [
            (r#"{"typ":"JWT","alg":"HS256"}"#, Ok(())),
            (r#"{"alg":"HS256","typ":"JWT"} "#, Ok(())),
            (r#"{"alg":"HS256"}"#, Ok(())),
            (r#"{"alg":"HS512","typ":"JWT"}"#, Err(JwtError::Algorithm("HS512".into()))),
            (r#"{"typ":"JWT"}"#, Err(JwtError::Algorithm("none".into()))),
            ("HS256", Err(JwtError::Malformed("segment is not JSON"))),
        ] {
            let token = signed(b"k", header, claims);
            assert_eq!(verify(b"k", &token).map(|_| ()), verdict, "{header}");
        }
        // The minted header's text with a padding character is not base64url.
        let token = signed(b"k", r#"{"alg":"HS256","typ":"JWT"}"#, claims);
        let padded = token.replacen('.', "=.", 1);
        assert_eq!(verify(b"k", &padded), Err(JwtError::Malformed("segment is not base64url")));
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Read {
        #[serde(default, deserialize_with = "lenient")]
        sub: Option<String>,
        #[serde(default, deserialize_with = "lenient")]
        exp: Option<u64>,
    }

    /// A token signed over any header and payload text.
    fn signed(secret: &[u8], header: &str, payload: &str) -> String {
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sign(secret, &input)))
    }

    #[test]
    fn claims_read_into_a_shape_read_as_the_claims_map_does() {
        let header = r#"{"typ":"JWT","alg":"HS256"}"#;
        for payload in [
            r#"{"sub":"a","exp":7}"#,
            r#"{"sub":5,"exp":"7","other":[1,{"x":null}]}"#,
            r#"{"sub":"a","sub":"b","exp":-1}"#,
            r#"{"exp":1e3}"#,
            r#" {"sub":null}"#,
            r#"["a",7]"#,
            r#""a""#,
            "not json",
        ] {
            let token = signed(b"k", header, payload);
            let by_map = verify(b"k", &token).map(|claims| Read {
                sub: claims.get("sub").and_then(Value::as_str).map(str::to_string),
                exp: claims.get("exp").and_then(Value::as_u64),
            });
            assert_eq!(verify_as::<Read>(b"k", &token), by_map, "{payload}");
        }
        assert_eq!(
            verify_as::<Read>(b"k", &signed(b"k", r#"{"alg":"none"}"#, "{}")),
            Err(JwtError::Algorithm("none".into()))
        );
        assert_eq!(verify_as::<Read>(b"other", &signed(b"k", header, "{}")), Err(JwtError::Signature));
    }
}
