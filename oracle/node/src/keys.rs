//! The node's secp256k1 signing key.
//!
//! Two sources, chosen in the config ([`KeySource`]): an env var holding
//! the key as hex (simple, and what container secrets managers inject), or
//! an Ethereum v3 JSON keystore with its password in an env var (what geth,
//! clef, foundry and most wallets write, so operators can reuse the tools
//! they have). The key never appears in a log or an error message: errors
//! name the env var or file, never its contents, and buffers that held key
//! material are wiped once [`PrivateKey`] has it.

use std::path::{Path, PathBuf};

use orac_primitives::PrivateKey;
use zeroize::{Zeroize, Zeroizing};

use crate::config::KeySource;

/// Largest keystore file read. A v3 keystore is about 500 bytes; anything
/// this large is not one, and is refused before it is parsed.
pub const MAX_KEYSTORE_BYTES: u64 = 64 * 1024;

/// Why the node's key could not be loaded. No variant carries key bytes
/// or a password.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The named env var (key or password) is not set.
    #[error("env var {0} is not set")]
    EnvMissing(String),
    /// The named env var is set but not UTF-8.
    #[error("env var {0} is not valid UTF-8")]
    EnvNotUnicode(String),
    /// Deliberately without the value: it is (nearly) a private key.
    #[error("env var {var} does not hold a private key: {reason}")]
    BadKey {
        /// The env var's name.
        var: String,
        /// What is wrong (length, hex, range), never the value.
        reason: &'static str,
    },
    /// The keystore file could not be read (or is too large to be one).
    #[error("cannot read keystore {path}: {reason}")]
    KeystoreRead {
        /// The keystore file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file is not a v3 keystore this node can decrypt.
    #[error("keystore {path} is not a v3 keystore: {reason}")]
    KeystoreFormat {
        /// The keystore file.
        path: PathBuf,
        /// What does not parse.
        reason: String,
    },
    /// The MAC did not match: the password is wrong (or the file corrupt).
    #[error("wrong password for keystore {path}")]
    WrongPassword {
        /// The keystore file.
        path: PathBuf,
    },
    /// The keystore decrypts to bytes that are no secp256k1 key.
    #[error("keystore {path} does not hold a valid secp256k1 private key")]
    KeystoreKey {
        /// The keystore file.
        path: PathBuf,
    },
}

/// Loads the key `source` names, reading env vars from the process
/// environment.
pub fn load_key(source: &KeySource) -> Result<PrivateKey, KeyError> {
    load_key_with(source, |name| std::env::var_os(name))
}

/// [`load_key`] with env vars looked up by `env`, so tests need not change
/// the (process-global, and in Rust 2024 `unsafe` to set) environment.
pub fn load_key_with(
    source: &KeySource,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<PrivateKey, KeyError> {
    let read = |var: &str| -> Result<Zeroizing<String>, KeyError> {
        let value = env(var).ok_or_else(|| KeyError::EnvMissing(var.to_string()))?;
        value
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| KeyError::EnvNotUnicode(var.to_string()))
    };
    let key = match source {
        KeySource::Env { var } => {
            let hex = read(var)?;
            key_from_hex(&hex).map_err(|reason| KeyError::BadKey {
                var: var.clone(),
                reason,
            })?
        }
        KeySource::Keystore { path, password_env } => {
            let password = read(password_env)?;
            decrypt_keystore(path, password.as_bytes())?
        }
    };
    tracing::info!(address = ?key.address(), "loaded oracle signing key");
    Ok(key)
}

/// Parses a key written as 64 hex digits, `0x` optional, surrounding
/// whitespace ignored (env files often end in a newline).
///
/// The length is checked here because k256 would accept and zero-pad a
/// shorter key, and a truncated paste should not become a valid but
/// different key.
pub fn key_from_hex(text: &str) -> Result<PrivateKey, &'static str> {
    let text = text.trim();
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.len() != 64 {
        return Err("expected 64 hex digits (32 bytes), 0x optional");
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(digits, bytes.as_mut_slice()).map_err(|_| "not hex")?;
    PrivateKey::from_bytes(bytes.as_slice()).map_err(|_| "zero or not below the secp256k1 order")
}

/// Decrypts the v3 keystore at `path` with `password`.
pub fn decrypt_keystore(path: &Path, password: &[u8]) -> Result<PrivateKey, KeyError> {
    let read_err = |reason: String| KeyError::KeystoreRead {
        path: path.to_path_buf(),
        reason,
    };
    let format_err = |reason: String| KeyError::KeystoreFormat {
        path: path.to_path_buf(),
        reason,
    };

    // eth-keystore trusts the file: it ignores `version` and decrypts with
    // AES-128-CTR whatever `cipher` says (the MAC does not cover the
    // cipher, so a file written with another cipher would "decrypt" to a
    // wrong key). Check both first, and the size before reading.
    let len = std::fs::metadata(path)
        .map_err(|e| read_err(e.to_string()))?
        .len();
    if len > MAX_KEYSTORE_BYTES {
        return Err(format_err(format!(
            "{len} bytes, a keystore is at most {MAX_KEYSTORE_BYTES}"
        )));
    }
    let text = std::fs::read(path).map_err(|e| read_err(e.to_string()))?;
    let json: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format_err(format!("not JSON: {e}")))?;
    if json.get("version").and_then(serde_json::Value::as_u64) != Some(3) {
        return Err(format_err("`version` is not 3".into()));
    }
    let cipher = json
        .pointer("/crypto/cipher")
        .and_then(serde_json::Value::as_str);
    if cipher != Some("aes-128-ctr") {
        return Err(format_err(format!(
            "cipher {cipher:?}, only \"aes-128-ctr\" is supported"
        )));
    }

    let mut secret = match eth_keystore::decrypt_key(path, password) {
        Ok(secret) => Zeroizing::new(secret),
        Err(eth_keystore::KeystoreError::MacMismatch) => {
            return Err(KeyError::WrongPassword {
                path: path.to_path_buf(),
            });
        }
        Err(eth_keystore::KeystoreError::StdIo(e)) => return Err(read_err(e)),
        Err(e) => return Err(format_err(e.to_string())),
    };
    let key = if secret.len() == 32 {
        PrivateKey::from_bytes(&secret).map_err(|_| KeyError::KeystoreKey {
            path: path.to_path_buf(),
        })
    } else {
        Err(KeyError::KeystoreKey {
            path: path.to_path_buf(),
        })
    };
    secret.zeroize();
    key
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use super::*;
    use crate::testing::temp_file;

    /// EIP-155's example key and its address.
    const KEY: &str = "4646464646464646464646464646464646464646464646464646464646464646";
    const ADDRESS: &str = "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f";

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn env_source() -> KeySource {
        KeySource::Env {
            var: "ORAC_ORACLE_KEY".into(),
        }
    }

    #[test]
    fn hex_key_from_env() {
        for text in [KEY.to_string(), format!("0x{KEY}"), format!("  0x{KEY}\n")] {
            let key = load_key_with(&env_source(), env(&[("ORAC_ORACLE_KEY", &text)])).unwrap();
            assert_eq!(format!("{:?}", key.address()), ADDRESS);
        }
    }

    #[test]
    fn bad_env_keys_are_refused_without_echoing_them() {
        let err = load_key_with(&env_source(), env(&[])).unwrap_err();
        assert!(matches!(err, KeyError::EnvMissing(ref v) if v == "ORAC_ORACLE_KEY"));

        for bad in [
            &KEY[2..],        // 31 bytes: k256 would zero-pad it
            &"zz".repeat(32), // not hex
            &"00".repeat(32), // zero
            &"ff".repeat(32), // above the group order
        ] {
            let err = load_key_with(&env_source(), env(&[("ORAC_ORACLE_KEY", bad)])).unwrap_err();
            assert!(matches!(err, KeyError::BadKey { .. }), "{err:?}");
            assert!(!err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn keystore_round_trip_and_wrong_password() {
        let dir = tempfile::tempdir().unwrap();
        let secret = hex::decode(KEY).unwrap();
        eth_keystore::encrypt_key(
            dir.path(),
            &mut rand08::thread_rng(),
            &secret,
            "correct horse",
            Some("node.json"),
        )
        .unwrap();
        let path = dir.path().join("node.json");
        let source = KeySource::Keystore {
            path: path.clone(),
            password_env: "PW".into(),
        };

        let key = load_key_with(&source, env(&[("PW", "correct horse")])).unwrap();
        assert_eq!(format!("{:?}", key.address()), ADDRESS);

        let err = load_key_with(&source, env(&[("PW", "battery staple")])).unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("wrong password for keystore {}", path.display())
        );

        let err = load_key_with(&source, env(&[])).unwrap_err();
        assert!(matches!(err, KeyError::EnvMissing(ref v) if v == "PW"));
    }

    #[test]
    fn generated_keystore_loads() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, _) =
            eth_keystore::new(dir.path(), &mut rand08::thread_rng(), "pw", Some("k.json")).unwrap();
        let expected = PrivateKey::from_bytes(&secret).unwrap().address();
        let key = decrypt_keystore(&dir.path().join("k.json"), b"pw").unwrap();
        assert_eq!(key.address(), expected);
    }

    /// A pbkdf2 keystore from the Web3 Secret Storage definition's test
    /// vectors (password "testpassword").
    #[test]
    fn pbkdf2_keystore() {
        let (_dir, path) = temp_file(
            "pbkdf2.json",
            r#"{
  "crypto": {
    "cipher": "aes-128-ctr",
    "cipherparams": {"iv": "6087dab2f9fdbbfaddc31a909735c1e6"},
    "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    "kdf": "pbkdf2",
    "kdfparams": {
      "c": 262144,
      "dklen": 32,
      "prf": "hmac-sha256",
      "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
    },
    "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
  },
  "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version": 3
}"#,
        );
        let key = decrypt_keystore(&path, b"testpassword").unwrap();
        assert_eq!(
            hex::encode(key.to_bytes()),
            "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
        );
    }

    #[test]
    fn refuses_files_that_are_not_v3_keystores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");

        let err = decrypt_keystore(&path, b"pw").unwrap_err();
        assert!(matches!(err, KeyError::KeystoreRead { .. }), "{err:?}");

        std::fs::write(&path, "not json").unwrap();
        let err = decrypt_keystore(&path, b"pw").unwrap_err();
        assert!(matches!(err, KeyError::KeystoreFormat { .. }), "{err:?}");

        std::fs::write(
            &path,
            r#"{"version": 3, "crypto": {"cipher": "aes-128-cbc"}}"#,
        )
        .unwrap();
        let err = decrypt_keystore(&path, b"pw").unwrap_err();
        assert!(err.to_string().contains("aes-128-cbc"), "{err}");

        std::fs::write(&path, " ".repeat(MAX_KEYSTORE_BYTES as usize + 1)).unwrap();
        let err = decrypt_keystore(&path, b"pw").unwrap_err();
        assert!(matches!(err, KeyError::KeystoreFormat { .. }), "{err:?}");
    }
}
