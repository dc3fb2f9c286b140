//! Passwords: their length, and argon2id hashing (OWASP's parameters) on the blocking pool,
//! two at a time across the node, with a check that takes as long when there is no password.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{Error, Result};

/// Shortest password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password (hashing is bounded).
pub const MAX_PASSWORD_CHARS: usize = 200;

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Error::field(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(Error::field(
            "password",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Password hashings and checks at once, across the node: each takes 19 MiB and a core for
/// tens of milliseconds, so a flood of sign-ins waits its turn instead of exhausting memory.
static HASHING: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(2)));

async fn hashing_slot() -> Result<tokio::sync::OwnedSemaphorePermit> {
    HASHING
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(e.into()))
}

/// Hashes a password with argon2id (OWASP's parameters: 19 MiB, 2 passes), off the async
/// threads, two at a time.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    let slot = hashing_slot().await?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(anyhow::anyhow!("cannot hash a password: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
}

/// Checks a password against a stored hash, off the async threads. Without a hash (no such
/// user, or no password yet), a dummy hash is checked so that the answer takes as long.
pub async fn verify_password(password: &str, stored: Option<String>) -> Result<bool> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let password = password.to_string();
    let real = stored.is_some();
    let slot = hashing_slot().await?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let stored = stored.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut rand::rngs::OsRng);
                    Argon2::default()
                        .hash_password(b"not a password", &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok = PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && real
    })
    .await
    .map_err(|e| Error::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify_password("wrong horse battery", Some(h))
            .await
            .unwrap());
        assert!(!verify_password("anything at all", None).await.unwrap());
        assert!(check_password("short").is_err());
    }
}
