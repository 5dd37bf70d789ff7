//! The fixed, test-only RSA keypair of the fake CodexGate App (see
//! `fakes/keys/README.md`). It authenticates a local client to the fake and
//! guards nothing else.

use std::path::PathBuf;

/// PKCS#1 PEM private key, the form GitHub hands out for an App. Test-only.
pub const TEST_APP_PRIVATE_KEY_PEM: &str = include_str!("../../keys/codexgate-test-app.private-key.pem");

/// SubjectPublicKeyInfo PEM public half of [`TEST_APP_PRIVATE_KEY_PEM`]; the
/// default key the fake verifies App JWTs with.
pub(crate) const TEST_APP_PUBLIC_KEY_PEM: &str = include_str!("../../keys/codexgate-test-app.public-key.pem");

/// Where the private key lives in the source tree (what `squadsim serve`
/// prints for a local client to load).
pub fn test_app_private_key_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("keys").join("codexgate-test-app.private-key.pem")
}
