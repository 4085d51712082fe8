//! Encryption at rest of credentials and other secure values, under the server's secret key
//! (`SLUICE_SECRET_KEY`): XChaCha20-Poly1305 with a random 192-bit nonce per value. The
//! associated data binds a ciphertext to its place (say `credential:<org>:<id>`), so a
//! value copied into another row does not decrypt.
//!
//! Stored form: `nonce (24 bytes) || ciphertext || tag (16 bytes)`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const NONCE: usize = 24;

/// A sealed value did not open: wrong key, wrong place, or altered bytes.
#[derive(Debug, thiserror::Error)]
#[error("a sealed value could not be opened (altered, misplaced or sealed under another key)")]
pub struct Unsealable;

/// Encrypts `plain` for the place `aad`.
pub fn seal(key: &[u8; 32], aad: &str, plain: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE];
    rand::thread_rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .expect("XChaCha20-Poly1305 encryption of an in-memory value cannot fail");
    let mut out = Vec::with_capacity(NONCE + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Decrypts what [`seal`] made for the same key and place.
pub fn open(key: &[u8; 32], aad: &str, sealed: &[u8]) -> Result<Vec<u8>, Unsealable> {
    if sealed.len() < NONCE + 16 {
        return Err(Unsealable);
    }
    let (nonce, body) = sealed.split_at(NONCE);
    let nonce = XNonce::try_from(nonce).map_err(|_| Unsealable)?;
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            &nonce,
            Payload {
                msg: body,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| Unsealable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = [7u8; 32];
        let s = seal(&key, "credential:1:a", b"p@ss");
        assert_eq!(open(&key, "credential:1:a", &s).unwrap(), b"p@ss");
        assert!(open(&key, "credential:1:b", &s).is_err(), "other place");
        assert!(open(&[8u8; 32], "credential:1:a", &s).is_err(), "other key");
        let mut bad = s.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(open(&key, "credential:1:a", &bad).is_err(), "altered");
        assert!(open(&key, "x", &[0u8; 10]).is_err(), "short");
        assert_ne!(seal(&key, "a", b"x"), seal(&key, "a", b"x"), "fresh nonce");
    }
}
