//! HTTP signatures (draft-cavage-http-signatures-12, as Mastodon speaks them): RSA-SHA256
//! signing with aws-lc-rs, and verification of `rsa-sha256` and `hs2019` with a `Digest`.

use std::fmt::Write;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use aws_lc_rs::{digest, rand::SystemRandom};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use url::Url;

use crate::keys::pem_der;

/// A private key ready to sign, with the `keyId` it is published under.
pub struct SigningKey {
    /// `{actor}#main-key`.
    pub key_id: String,
    pair: KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 PEM private key.
    pub fn from_pem(key_id: String, private_pem: &str) -> anyhow::Result<SigningKey> {
        let pair = KeyPair::from_pkcs8(&pem_der(private_pem)?)
            .map_err(|e| anyhow::anyhow!("unusable private key: {e}"))?;
        Ok(SigningKey { key_id, pair })
    }

    /// Signs `data` (a signing string) with RSA-SHA256; returns it in base64.
    pub fn sign(&self, data: &[u8]) -> String {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                data,
                &mut sig,
            )
            .expect("RSA signing with a valid key");
        B64.encode(sig)
    }
}

/// `SHA-256=…` of a body.
pub fn digest_header(body: &[u8]) -> String {
    format!(
        "SHA-256={}",
        B64.encode(digest::digest(&digest::SHA256, body))
    )
}

/// An HTTP date (`Tue, 24 Nov 2026 10:00:00 GMT`).
pub fn http_date(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The `Host` value of a URL: host, and port when not the scheme's default.
pub fn host_header(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

fn target(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// Headers of a signed request, in the order they are signed.
pub struct Signed {
    /// `Host`.
    pub host: String,
    /// `Date`.
    pub date: String,
    /// `Digest`, on POST.
    pub digest: Option<String>,
    /// `Signature`.
    pub signature: String,
}

/// Signs a POST of `body` (already digested as `digest`) to `url`.
pub fn sign_post(
    key: &SigningKey,
    url: &Url,
    digest: &str,
    content_type: &str,
    date: &str,
) -> Signed {
    let host = host_header(url);
    let text = format!(
        "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}\ncontent-type: {content_type}",
        target(url)
    );
    Signed {
        signature: format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
            key.key_id,
            key.sign(text.as_bytes())
        ),
        host,
        date: date.to_string(),
        digest: Some(digest.to_string()),
    }
}

/// Signs a GET of `url` (for servers in secure mode).
pub fn sign_get(key: &SigningKey, url: &Url, date: &str) -> Signed {
    let host = host_header(url);
    let text = format!(
        "(request-target): get {}\nhost: {host}\ndate: {date}",
        target(url)
    );
    Signed {
        signature: format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"{}\"",
            key.key_id,
            key.sign(text.as_bytes())
        ),
        host,
        date: date.to_string(),
        digest: None,
    }
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureHeader {
    /// The key's id, usually `{actor}#main-key`.
    pub key_id: String,
    /// `rsa-sha256`, `hs2019`, or absent.
    pub algorithm: Option<String>,
    /// Signed header names, lower case, in order.
    pub headers: Vec<String>,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// `created` parameter (hs2019).
    pub created: Option<i64>,
    /// `expires` parameter (hs2019).
    pub expires: Option<i64>,
}

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignatureError {
    /// No `Signature` header.
    #[error("the request is not signed (no Signature header)")]
    Missing,
    /// Unreadable header.
    #[error("the Signature header is malformed: {0}")]
    Malformed(String),
    /// An algorithm other than RSA-SHA256.
    #[error("unsupported signature algorithm {0}")]
    Algorithm(String),
    /// A header that must be signed is not.
    #[error("the signature must cover {0}")]
    Uncovered(&'static str),
    /// A signed header is absent from the request.
    #[error("signed header {0} is missing from the request")]
    Absent(String),
    /// The cryptographic check failed.
    #[error("the signature does not verify with the key of {0}")]
    Invalid(String),
}

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"`.
pub fn parse_signature(header: &str) -> Result<SignatureHeader, SignatureError> {
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed("expected name=value".into()))?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| SignatureError::Malformed("unterminated quote".into()))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        match name.as_str() {
            "keyid" => key_id = Some(value.to_string()),
            "algorithm" => algorithm = Some(value.to_ascii_lowercase()),
            "headers" => headers = Some(value.to_ascii_lowercase()),
            "signature" => {
                signature = Some(
                    B64.decode(value)
                        .map_err(|_| SignatureError::Malformed("signature is not base64".into()))?,
                )
            }
            "created" => created = value.parse().ok(),
            "expires" => expires = value.parse().ok(),
            _ => {}
        }
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    let algorithm_ok = |a: &str| matches!(a, "rsa-sha256" | "hs2019");
    if let Some(a) = &algorithm {
        if !algorithm_ok(a) {
            return Err(SignatureError::Algorithm(a.clone()));
        }
    }
    Ok(SignatureHeader {
        key_id: key_id.ok_or_else(|| SignatureError::Malformed("no keyId".into()))?,
        algorithm,
        headers: headers
            .unwrap_or_else(|| "date".into())
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        signature: signature.ok_or_else(|| SignatureError::Malformed("no signature".into()))?,
        created,
        expires,
    })
}

/// Rebuilds the signed text of a request. `header` looks a header up by lower-case name.
pub fn signing_string<'a>(
    sig: &SignatureHeader,
    method: &str,
    path_and_query: &str,
    header: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, SignatureError> {
    let mut out = String::new();
    for (i, name) in sig.headers.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match name.as_str() {
            "(request-target)" => {
                let _ = write!(
                    out,
                    "(request-target): {} {path_and_query}",
                    method.to_ascii_lowercase()
                );
            }
            "(created)" => {
                let c = sig
                    .created
                    .ok_or_else(|| SignatureError::Absent("(created)".into()))?;
                let _ = write!(out, "(created): {c}");
            }
            "(expires)" => {
                let e = sig
                    .expires
                    .ok_or_else(|| SignatureError::Absent("(expires)".into()))?;
                let _ = write!(out, "(expires): {e}");
            }
            other => {
                let v = header(other).ok_or_else(|| SignatureError::Absent(other.to_string()))?;
                let _ = write!(out, "{other}: {}", v.trim());
            }
        }
    }
    Ok(out)
}

/// Checks an RSA-SHA256 signature against a PEM public key (SPKI or PKCS#1).
pub fn verify(public_pem: &str, data: &[u8], signature: &[u8]) -> bool {
    let Ok(der) = pem_der(public_pem) else {
        return false;
    };
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
        .verify(data, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_post_verifies_and_a_changed_one_does_not() {
        let pair = crate::keys::generate().unwrap();
        let key = SigningKey::from_pem(
            "https://a.example/shops/x#main-key".into(),
            &pair.private_pem,
        )
        .unwrap();
        let url = Url::parse("http://localhost:8001/inbox?x=1").unwrap();
        let body = br#"{"type":"Create"}"#;
        let digest = digest_header(body);
        let s = sign_post(
            &key,
            &url,
            &digest,
            "application/activity+json",
            "Tue, 24 Nov 2026 10:00:00 GMT",
        );
        assert_eq!(s.host, "localhost:8001");
        let parsed = parse_signature(&s.signature).unwrap();
        assert_eq!(parsed.key_id, "https://a.example/shops/x#main-key");
        assert_eq!(
            parsed.headers,
            ["(request-target)", "host", "date", "digest", "content-type"]
        );
        let lookup = |h: &str| match h {
            "host" => Some("localhost:8001"),
            "date" => Some("Tue, 24 Nov 2026 10:00:00 GMT"),
            "digest" => Some(digest.as_str()),
            "content-type" => Some("application/activity+json"),
            _ => None,
        };
        let text = signing_string(&parsed, "POST", "/inbox?x=1", lookup).unwrap();
        assert!(verify(&pair.public_pem, text.as_bytes(), &parsed.signature));
        let other = signing_string(&parsed, "POST", "/inbox?x=2", lookup).unwrap();
        assert!(!verify(
            &pair.public_pem,
            other.as_bytes(),
            &parsed.signature
        ));
    }

    #[test]
    fn signature_headers_are_parsed_leniently_but_checked() {
        let h = parse_signature(
            r#"keyId="https://m.example/users/a#main-key", algorithm="hs2019", created=1700000000, headers="(request-target) (created) host digest", signature="AAEC""#,
        )
        .unwrap();
        assert_eq!(h.created, Some(1_700_000_000));
        assert_eq!(h.signature, vec![0, 1, 2]);
        assert!(matches!(
            parse_signature(r#"keyId="k",algorithm="hmac-sha256",signature="AA==""#),
            Err(SignatureError::Algorithm(_))
        ));
        assert!(parse_signature(r#"keyId="k""#).is_err());
        assert_eq!(
            digest_header(b"hello"),
            "SHA-256=LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        );
    }
}
