//! Keys, tokens and passwords: generation and one-way storage forms.
//!
//! API keys and tokens are 256-bit random values, so a fast hash (SHA-256) is enough to
//! store them; passwords are chosen by people and get argon2id (memory-hard).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random key of 32 bytes as 64 lower-case hex characters (the form OmniBPM shows).
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new random token with a recognisable prefix (so secret scanners can find leaks).
pub fn generate_token(prefix: &str) -> String {
    format!("{prefix}_{}", generate_key())
}

/// A readable random password for generated accounts (24 characters, ~143 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..24)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

/// The stored form of a key or token: SHA-256, hex.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Compares a presented key with a stored hash in constant time.
pub fn key_matches(key: &str, stored_hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    hash_key(key)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

/// Hashes a password with argon2id (OWASP parameters: 19 MiB, 2 passes). CPU-heavy: call it
/// from a blocking task.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

/// Checks a password against its stored argon2 hash. CPU-heavy: call it from a blocking task.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when a login names no user, so that the answer takes as long as
/// for a real user and does not reveal which logins exist.
pub fn decoy_password_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&generate_key()))
}

/// Derives the 32-byte encryption key from the configured secret (any string of 32+ chars).
pub fn derive_secret_key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A value stored beside data encrypted with `key`, to notice a changed key at start-up.
pub fn secret_key_check(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"sluice secret key check v1");
    h.update(key);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_64_hex_and_hash_deterministically() {
        let k = generate_key();
        assert_eq!(k.len(), 64);
        assert!(k.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hash_key(&k), hash_key(&k));
        assert!(key_matches(&k, &hash_key(&k)));
        assert!(!key_matches("other", &hash_key(&k)));
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("123456");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("123456", &h));
        assert!(!verify_password("1234567", &h));
        assert!(!verify_password("123456", "not a hash"));
    }
}
