//! RSA-2048 key pairs for ActivityPub actors, generated with aws-lc-rs (fast even unoptimised)
//! and stored as PEM: PKCS#8 for the private key, SubjectPublicKeyInfo for the public one.

use anyhow::anyhow;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;

/// A freshly generated key pair, both halves PEM-encoded.
#[derive(Clone)]
pub struct PemKeyPair {
    /// `-----BEGIN PUBLIC KEY-----` (SPKI), served in actor documents.
    pub public_pem: String,
    /// `-----BEGIN PRIVATE KEY-----` (PKCS#8): never served.
    pub private_pem: String,
}

impl std::fmt::Debug for PemKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemKeyPair")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

/// Generates an RSA-2048 key pair.
pub fn generate() -> anyhow::Result<PemKeyPair> {
    let pair =
        KeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow!("RSA key generation failed"))?;
    let private: Pkcs8V1Der = pair
        .as_der()
        .map_err(|_| anyhow!("cannot encode the private key"))?;
    let public: PublicKeyX509Der = pair
        .public_key()
        .as_der()
        .map_err(|_| anyhow!("cannot encode the public key"))?;
    Ok(PemKeyPair {
        public_pem: pem("PUBLIC KEY", public.as_ref()),
        private_pem: pem("PRIVATE KEY", private.as_ref()),
    })
}

/// Generates a key pair on the blocking pool, so request handlers stay responsive.
pub async fn generate_async() -> anyhow::Result<PemKeyPair> {
    tokio::task::spawn_blocking(generate).await?
}

/// Wraps DER bytes in PEM armour, 64 characters a line.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Reads the DER bytes inside PEM armour.
pub fn pem_der(pem: &str) -> anyhow::Result<Vec<u8>> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| anyhow!("bad PEM: {e}"))
}

/// SHA-256 of a text, in hexadecimal: how tokens, one-time links and contacts in the
/// throttle are stored.
pub fn sha256_hex(text: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_and_sign() {
        let pair = generate().unwrap();
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pair
            .private_pem
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let key = KeyPair::from_pkcs8(&pem_der(&pair.private_pem).unwrap()).unwrap();
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            b"hello",
            &mut sig,
        )
        .unwrap();
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            pem_der(&pair.public_pem).unwrap(),
        );
        assert!(public.verify(b"hello", &sig).is_ok());
        assert!(!format!("{pair:?}").contains("PRIVATE"));
    }
}
