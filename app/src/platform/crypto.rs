//! Secrets at rest and tokens: AES-256-GCM for provider credentials, random
//! session tokens stored only as SHA-256 hashes, Argon2 for passwords.
//! Keys derive from APP_SECRET_KEY with a purpose label each.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Secrets {
    enc_key: [u8; 32],
    sign_key: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("stored secret is not valid base64")]
    Encoding,
    #[error("stored secret could not be decrypted (was APP_SECRET_KEY changed?)")]
    Decrypt,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

fn derive(secret: &str, purpose: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"leashline/");
    h.update(purpose.as_bytes());
    h.update(b"/");
    h.update(secret.as_bytes());
    h.finalize().into()
}

impl Secrets {
    pub fn new(app_secret_key: &str) -> Secrets {
        Secrets { enc_key: derive(app_secret_key, "encryption"), sign_key: derive(app_secret_key, "url-signing") }
    }

    /// A short MAC of `message` for links the server hands out (HMAC-SHA256,
    /// 128 bits, URL-safe).
    pub fn sign(&self, message: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.sign_key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }

    pub fn verify(&self, message: &str, signature: &str) -> bool {
        constant_time_eq(self.sign(message).as_bytes(), signature.as_bytes())
    }

    /// base64(nonce ‖ ciphertext)
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        let cipher = Aes256Gcm::new((&self.enc_key).into());
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        // Encryption with a fresh nonce and a valid key cannot fail.
        let ct = cipher.encrypt(Nonce::from_slice(&nonce), plaintext).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        STANDARD.encode(out)
    }

    pub fn decrypt(&self, stored: &str) -> Result<Vec<u8>, CryptoError> {
        let raw = STANDARD.decode(stored).map_err(|_| CryptoError::Encoding)?;
        if raw.len() < 13 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ct) = raw.split_at(12);
        let cipher = Aes256Gcm::new((&self.enc_key).into());
        cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| CryptoError::Decrypt)
    }
}

/// A random URL-safe token with 256 bits of entropy.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A short random id for requests and correlation (hex).
pub fn short_id() -> String {
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(stored) {
        Ok(h) => argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// Constant-time comparison for signatures and tokens.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypts_and_decrypts_with_the_same_key_only() {
        let s = Secrets::new("a-very-long-secret-key-for-tests-0123456789");
        let stored = s.encrypt(b"auth-token");
        assert_ne!(stored, "auth-token");
        assert_eq!(s.decrypt(&stored).unwrap(), b"auth-token");
        let other = Secrets::new("another-very-long-secret-key-for-tests-99999");
        assert!(other.decrypt(&stored).is_err());
        assert!(s.decrypt("not base64!").is_err());
    }

    #[test]
    fn passwords_verify_only_when_right() {
        let h = hash_password("password123");
        assert!(verify_password("password123", &h));
        assert!(!verify_password("password124", &h));
        assert!(!verify_password("password123", "garbage"));
    }
}
