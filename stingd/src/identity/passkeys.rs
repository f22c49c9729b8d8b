//! WebAuthn passkeys (webauthn-rs): registering one from a signed-in session, and signing in
//! with one. A passkey verifies the user on the device (PIN or biometrics), so signing in with
//! it is two factors at once: AAL2.
//!
//! The ceremony state is kept in the database, keyed by an id the browser returns, used once
//! and valid for five minutes. Asking to sign in as an address without passkeys (or without an
//! account) answers with a challenge for decoy credentials derived from the address, the same
//! each time, so the answer does not reveal whether the account exists.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, CredentialID, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Webauthn, WebauthnBuilder,
};

use super::IdentityError;

/// How long a ceremony may take, from challenge to answer.
const CEREMONY_TTL: Duration = Duration::from_secs(300);

pub struct Passkeys {
    webauthn: Webauthn,
    /// The installation's key for decoy credentials: every replica, before and after a restart,
    /// gives an address the same decoy.
    decoy_key: [u8; 32],
}

impl Passkeys {
    /// The relying party: `rp_id` is the site's domain, `origin` the `https://` origin pages
    /// are served from. The decoy key is the installation's (see [`instance_key`]).
    pub async fn new(pool: &PgPool, rp_id: &str, origin: &str) -> Result<Self, IdentityError> {
        let origin = Url::parse(origin).map_err(|e| IdentityError::Passkey(format!("the origin {origin}: {e}")))?;
        let webauthn = WebauthnBuilder::new(rp_id, &origin)
            .and_then(|b| b.rp_name("STING-CE").build())
            .map_err(|e| IdentityError::Passkey(format!("relying party {rp_id} at {origin}: {e}")))?;
        let decoy_key = instance_key(pool, "passkey_decoy").await?;
        Ok(Self { webauthn, decoy_key })
    }

    /// The options for the browser's `navigator.credentials.create()`, and the ceremony's id.
    pub async fn start_registration(
        &self,
        pool: &PgPool,
        user: Uuid,
        email: &str,
    ) -> Result<(Uuid, CreationChallengeResponse), IdentityError> {
        let existing: Vec<CredentialID> =
            self.passkeys_of(pool, user).await?.iter().map(|p| p.cred_id().clone()).collect();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user, email, email, Some(existing))
            .map_err(|e| IdentityError::Passkey(e.to_string()))?;
        let id = store_ceremony(pool, user, "register", serde_json::to_value(state).map_err(json_error)?).await?;
        Ok((id, options))
    }

    /// Checks the authenticator's answer and keeps the passkey; `Ok(None)` if the ceremony is
    /// unknown, used, expired or someone else's, or the answer does not verify.
    pub async fn finish_registration(
        &self,
        pool: &PgPool,
        user: Uuid,
        ceremony: Uuid,
        credential: &RegisterPublicKeyCredential,
        name: &str,
    ) -> Result<Option<Uuid>, IdentityError> {
        let Some((owner, state)) = take_ceremony(pool, ceremony, "register").await? else { return Ok(None) };
        if owner != user {
            return Ok(None);
        }
        let state: PasskeyRegistration = serde_json::from_value(state).map_err(json_error)?;
        let passkey = match self.webauthn.finish_passkey_registration(credential, &state) {
            Ok(passkey) => passkey,
            Err(e) => {
                tracing::info!(error = %e, "a passkey registration did not verify");
                return Ok(None);
            }
        };
        let id = sqlx::query_scalar(
            "INSERT INTO passkey_factors (user_id, credential_id, passkey, name) VALUES ($1, $2, $3, $4)
             ON CONFLICT (credential_id) DO NOTHING RETURNING id",
        )
        .bind(user)
        .bind(passkey.cred_id().as_ref())
        .bind(serde_json::to_value(&passkey).map_err(json_error)?)
        .bind(name)
        .fetch_optional(pool)
        .await?;
        Ok(id)
    }

    /// The options for `navigator.credentials.get()` for this address, and the ceremony's id.
    /// The same shape whether or not the address has passkeys.
    pub async fn start_authentication(
        &self,
        pool: &PgPool,
        email: &str,
    ) -> Result<(Uuid, RequestChallengeResponse), IdentityError> {
        let user: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL")
                .bind(email.trim())
                .fetch_optional(pool)
                .await?;
        let passkeys = match user {
            Some(user) => self.passkeys_of(pool, user).await?,
            None => Vec::new(),
        };
        match (user, passkeys.is_empty()) {
            (Some(user), false) => {
                let (options, state) = self
                    .webauthn
                    .start_passkey_authentication(&passkeys)
                    .map_err(|e| IdentityError::Passkey(e.to_string()))?;
                let id = store_ceremony(pool, user, "authenticate", serde_json::to_value(state).map_err(json_error)?)
                    .await?;
                Ok((id, options))
            }
            (user, _) => {
                // The database work of a real answer, so that the time taken tells nothing:
                // the passkeys' lookup (already done for an account without any) and the
                // ceremony's storing (its clean-up, and a round trip for the insert).
                if user.is_none() {
                    self.passkeys_of(pool, Uuid::new_v4()).await?;
                }
                sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at < now()").execute(pool).await?;
                let ceremony: Uuid = sqlx::query_scalar("SELECT gen_random_uuid()").fetch_one(pool).await?;
                Ok((ceremony, self.decoy_options(email)?))
            }
        }
    }

    /// The user the answer signs in, if it verifies for a ceremony still open.
    pub async fn finish_authentication(
        &self,
        pool: &PgPool,
        ceremony: Uuid,
        credential: &PublicKeyCredential,
    ) -> Result<Option<Uuid>, IdentityError> {
        let Some((user, state)) = take_ceremony(pool, ceremony, "authenticate").await? else { return Ok(None) };
        let state: PasskeyAuthentication = serde_json::from_value(state).map_err(json_error)?;
        let result = match self.webauthn.finish_passkey_authentication(credential, &state) {
            Ok(result) => result,
            Err(e) => {
                tracing::info!(error = %e, "a passkey sign-in did not verify");
                return Ok(None);
            }
        };
        let row: Option<(Uuid, serde_json::Value)> = sqlx::query_as(
            "SELECT p.id, p.passkey FROM passkey_factors p JOIN users u ON u.id = p.user_id
             WHERE p.credential_id = $1 AND p.user_id = $2 AND u.disabled_at IS NULL",
        )
        .bind(result.cred_id().as_ref())
        .bind(user)
        .fetch_optional(pool)
        .await?;
        let Some((id, stored)) = row else { return Ok(None) };
        // The signature counter (and backup state) move on; a cloned authenticator shows as a
        // counter that went backwards, which webauthn-rs rejects above.
        let mut passkey: Passkey = serde_json::from_value(stored).map_err(json_error)?;
        passkey.update_credential(&result);
        sqlx::query("UPDATE passkey_factors SET passkey = $2, last_used_at = now() WHERE id = $1")
            .bind(id)
            .bind(serde_json::to_value(&passkey).map_err(json_error)?)
            .execute(pool)
            .await?;
        Ok(Some(user))
    }

    async fn passkeys_of(&self, pool: &PgPool, user: Uuid) -> Result<Vec<Passkey>, IdentityError> {
        let stored: Vec<serde_json::Value> =
            sqlx::query_scalar("SELECT passkey FROM passkey_factors WHERE user_id = $1 ORDER BY created_at")
                .bind(user)
                .fetch_all(pool)
                .await?;
        stored.into_iter().map(|v| serde_json::from_value(v).map_err(json_error)).collect()
    }

    /// A challenge for credentials that exist nowhere, the same for the address whatever else
    /// changes (other accounts' passkeys included), and built by webauthn-rs as a real answer is,
    /// with an allow-list webauthn-rs left empty filled in from the address: how many
    /// credentials (one to three, as accounts have) and each one's id length, drawn from what
    /// authenticators make. No transports: webauthn-rs keeps them only from attested
    /// registrations, and passkeys are registered without attestation. So no field tells a
    /// decoy from a real account, and asking twice, now or next month, gives the same answer.
    fn decoy_options(&self, email: &str) -> Result<RequestChallengeResponse, IdentityError> {
        let seed: [u8; 32] =
            Sha256::new().chain_update(self.decoy_key).chain_update(email.trim().to_lowercase()).finalize().into();
        let (mut options, _) =
            self.webauthn.start_passkey_authentication(&[]).map_err(|e| IdentityError::Passkey(e.to_string()))?;
        let allowed: Vec<serde_json::Value> = (0..decoy_count(seed[0]))
            .map(|n| {
                let draw: [u8; 32] = Sha256::new().chain_update(seed).chain_update([n]).finalize().into();
                let length = DECOY_ID_LENGTHS[usize::from(draw[0]) % DECOY_ID_LENGTHS.len()];
                let mut id = Vec::with_capacity(length);
                let mut block = 0u32;
                while id.len() < length {
                    id.extend_from_slice(
                        &Sha256::new().chain_update(draw).chain_update(block.to_le_bytes()).finalize(),
                    );
                    block += 1;
                }
                id.truncate(length);
                serde_json::json!({ "type": "public-key", "id": b64(&id) })
            })
            .collect();
        options.public_key.allow_credentials = serde_json::from_value(allowed.into()).map_err(json_error)?;
        Ok(options)
    }
}

/// Credential id lengths of common authenticators (platform passkeys, password managers,
/// security keys), one of which each decoy credential takes.
const DECOY_ID_LENGTHS: &[usize] = &[16, 16, 20, 32, 32, 64];

/// How many credentials a decoy lists: one mostly, two or three sometimes, as accounts have.
fn decoy_count(draw: u8) -> u8 {
    match draw % 10 {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The installation's key called `name`: made at random by the first stingd to ask, the same
/// for every stingd afterwards.
async fn instance_key(pool: &PgPool, name: &str) -> Result<[u8; 32], IdentityError> {
    let mut fresh = [0u8; 32];
    getrandom::fill(&mut fresh).expect("the kernel's random source");
    sqlx::query("INSERT INTO instance_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(&fresh[..])
        .execute(pool)
        .await?;
    let key: Vec<u8> =
        sqlx::query_scalar("SELECT key FROM instance_keys WHERE name = $1").bind(name).fetch_one(pool).await?;
    key.try_into().map_err(|_| IdentityError::Passkey(format!("the instance key {name} is not 32 bytes")))
}

fn json_error(e: serde_json::Error) -> IdentityError {
    IdentityError::Passkey(format!("stored ceremony or passkey: {e}"))
}

async fn store_ceremony(
    pool: &PgPool,
    user: Uuid,
    kind: &str,
    state: serde_json::Value,
) -> Result<Uuid, IdentityError> {
    // Expired ceremonies are cleared as new ones begin.
    sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at < now()").execute(pool).await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO webauthn_ceremonies (user_id, kind, state, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id",
    )
    .bind(user)
    .bind(kind)
    .bind(state)
    .bind(CEREMONY_TTL.as_secs_f64())
    .fetch_one(pool)
    .await?)
}

/// Removes a ceremony and returns it if it was still open: each is answered at most once.
async fn take_ceremony(
    pool: &PgPool,
    id: Uuid,
    kind: &str,
) -> Result<Option<(Uuid, serde_json::Value)>, IdentityError> {
    Ok(sqlx::query_as(
        "DELETE FROM webauthn_ceremonies WHERE id = $1 AND kind = $2 RETURNING user_id, state, expires_at > now()",
    )
    .bind(id)
    .bind(kind)
    .fetch_optional(pool)
    .await?
    .and_then(|(user, state, open): (Uuid, serde_json::Value, bool)| open.then_some((user, state))))
}
