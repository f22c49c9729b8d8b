//! Replacing the key shares when a holder leaves: unseal shares (manual mode) or recovery
//! shares (auto-unseal). The current holders give a threshold of their shares; a new set is
//! returned, once. Until it completes nothing changes, and a cancelled or failed rekey leaves
//! the old shares valid.
//!
//! OpenBao (2.4 and later) does this through its authenticated `sys/rotate/(root|recovery)`
//! endpoints and has switched the old unauthenticated ones off; HashiCorp Vault through
//! `sys/rekey` and `sys/rekey-recovery-key`. The first is tried, the second if the server does
//! not know it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::bootstrap::SealMode;
use crate::{Secret, Vault, VaultError};

/// Which family of endpoints the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// OpenBao: `sys/rotate/root`, `sys/rotate/recovery` (authenticated).
    Rotate,
    /// HashiCorp Vault: `sys/rekey`, `sys/rekey-recovery-key`.
    Rekey,
}

fn base(api: Api, mode: SealMode) -> &'static str {
    match (api, mode) {
        (Api::Rotate, SealMode::Manual) => "sys/rotate/root",
        (Api::Rotate, SealMode::Auto) => "sys/rotate/recovery",
        (Api::Rekey, SealMode::Manual) => "sys/rekey",
        (Api::Rekey, SealMode::Auto) => "sys/rekey-recovery-key",
    }
}

/// An authenticated answer keeps its fields under `data`; the old endpoints at the top.
fn fields(answer: &Value) -> &Value {
    answer.get("data").filter(|d| d.is_object()).unwrap_or(answer)
}

/// A rekey under way: its nonce, and how many current shares it still needs.
#[derive(Clone, Debug)]
pub struct Rekey {
    pub mode: SealMode,
    pub api: Api,
    pub nonce: String,
    pub required: u32,
    pub progress: u32,
}

/// Where a share left a rekey.
#[derive(Debug)]
pub enum Step {
    NeedMore(Rekey),
    Done { shares: Vec<Secret>, threshold: u32 },
}

/// Starts a rekey to `shares` new shares with `threshold` (any earlier, unfinished one is
/// cancelled first: its partial shares are void anyway). Needs the operator's token.
pub async fn start(vault: &Vault, mode: SealMode, shares: u32, threshold: u32) -> Result<Rekey, VaultError> {
    if threshold == 0 || threshold > shares {
        return Err(VaultError::Refused {
            what: format!("{threshold} of {shares} shares"),
            reason: "the threshold must be between 1 and the number of shares".into(),
        });
    }
    let body = json!({ "secret_shares": shares, "secret_threshold": threshold });
    for api in [Api::Rotate, Api::Rekey] {
        let init = format!("{}/init", base(api, mode));
        let _ = vault.call(Method::DELETE, &init, None).await;
        match vault.call(Method::POST, &init, Some(&body)).await {
            Ok(answer) => return rekey_of(mode, api, answer.as_ref(), &init),
            // Not this server's family of endpoints: try the other.
            Err(VaultError::NotFound { .. } | VaultError::Api { status: 404 | 405, .. }) if api == Api::Rotate => {}
            Err(other) => return Err(other),
        }
    }
    unreachable!("the loop returns on its last family")
}

/// Gives one current share.
pub async fn give(vault: &Vault, rekey: &Rekey, share: &Secret) -> Result<Step, VaultError> {
    let path = format!("{}/update", base(rekey.api, rekey.mode));
    let body = json!({ "key": share.expose().trim(), "nonce": rekey.nonce });
    let answer = match vault.call(Method::POST, &path, Some(&body)).await {
        Ok(answer) => answer,
        Err(VaultError::Api { status: 400 | 500, message, .. }) => {
            cancel(vault, rekey).await;
            return Err(VaultError::BadShare { reason: message });
        }
        Err(other) => return Err(other),
    };
    let answer = answer.unwrap_or_default();
    let answer = fields(&answer);
    if answer.get("complete").and_then(Value::as_bool) == Some(true) {
        let shares: Vec<Secret> = answer
            .get("keys_base64")
            .and_then(Value::as_array)
            .map(|k| k.iter().filter_map(Value::as_str).map(Secret::new).collect())
            .unwrap_or_default();
        let threshold = answer.get("t").and_then(Value::as_u64).map_or(0, |t| t as u32);
        let status = crate::seal::status(vault).await?;
        return Ok(Step::Done { shares, threshold: if threshold == 0 { status.threshold } else { threshold } });
    }
    let progress = answer.get("progress").and_then(Value::as_u64).unwrap_or(0) as u32;
    Ok(Step::NeedMore(Rekey { progress, ..rekey.clone() }))
}

/// Abandons an unfinished rekey; the old shares stay valid.
pub async fn cancel(vault: &Vault, rekey: &Rekey) {
    let _ = vault.call(Method::DELETE, &format!("{}/init", base(rekey.api, rekey.mode)), None).await;
}

fn rekey_of(mode: SealMode, api: Api, answer: Option<&Value>, path: &str) -> Result<Rekey, VaultError> {
    let answer = answer.ok_or_else(|| VaultError::Unexpected { path: path.into(), reason: "empty answer".into() })?;
    let answer = fields(answer);
    let nonce = answer
        .get("nonce")
        .and_then(Value::as_str)
        .ok_or_else(|| VaultError::Unexpected { path: path.into(), reason: "no nonce".into() })?;
    Ok(Rekey {
        mode,
        api,
        nonce: nonce.into(),
        required: answer.get("required").and_then(Value::as_u64).unwrap_or(0) as u32,
        progress: answer.get("progress").and_then(Value::as_u64).unwrap_or(0) as u32,
    })
}
