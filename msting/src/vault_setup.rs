//! Vault's set-up for this stack: initialising it once (the shares handed out before anything
//! else, msting's operator login kept, the root token revoked), completing or repairing its
//! set-up as the operator on later runs (recovering a refused login with the stack's CA), and
//! rekeying when a share holder leaves. `msting vault` and `msting install` both call it.

use std::io::IsTerminal;

use anyhow::Context;
use sting_vault::bootstrap::{self, Plan, SealMode};
use sting_vault::{Vault, approle, rekey, seal};

use crate::output::{Output, WARN};
use crate::shares::{self, HandedShare};
use crate::vault_access;

/// Where msting's operator login may be used from: loopback, and the private ranges Docker's
/// bridges use, because inside its container Vault sees msting at its network's gateway address,
/// which changes when the network is made again. Vault is on no network another host can reach
/// (an internal one, and its own whose only published port is on 127.0.0.1), so the binding
/// still keeps a stolen secret-id off any public address.
pub const OPERATOR_CIDRS: &[&str] =
    &["127.0.0.1/32", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/// What the plan for this stack is: its KV mount, the operator token's lifetime, its secrets.
pub fn plan(config: &sting_config::Config) -> Plan {
    Plan {
        kv_mount: config.vault.kv_mount.clone(),
        operator_token_ttl: config.vault.operator_token_ttl.as_std(),
        operator_cidrs: OPERATOR_CIDRS.iter().map(|c| c.to_string()).collect(),
        service_secret_id_ttl: std::time::Duration::from_secs(24 * 3600),
        service_token_period: std::time::Duration::from_secs(24 * 3600),
        generated: Plan::stack_secrets(),
        audit_file: "/vault/logs/audit.log".into(),
        recovery_ca_pem: std::fs::read_to_string(
            crate::stack::spec::absolute(config, &config.paths.certs_dir).join(crate::tls::ca::ROOT_CERT_FILE),
        )
        .ok(),
    }
}

/// What [`initialise`] did.
pub struct Initialised {
    pub vault: Vault,
    pub mode: SealMode,
    /// The shares handed out and the threshold, when Vault was initialised now.
    pub handed: Option<(Vec<HandedShare>, u32)>,
    pub configured: bootstrap::Configured,
}

/// Initialises Vault if it is not (shares handed out, operator login kept, root token revoked),
/// then checks and completes its set-up as the operator.
pub async fn initialise(out: &Output, config: &sting_config::Config) -> anyhow::Result<Initialised> {
    let vault_config = &config.vault;
    let mode = SealMode::from(vault_config.unseal);
    let credentials = vault_access::credentials_path(config);
    let vault = Vault::new(vault_access::connection(config))?;
    if seal::status(&vault).await?.initialized {
        // Initialised before: finish or update the set-up as the operator; no shares again.
        out.note(format!("Vault at {} is initialised; checking its set-up", vault.address()));
        let operator = match vault_access::operator(config).await {
            Ok(operator) => operator,
            // msting's login is gone or no longer accepted: a certificate from the stack's CA
            // logs in (as after a restore) and a new login replaces every old one.
            Err(e) if !credentials.exists() || e.is::<vault_access::OperatorLoginRefused>() => {
                out.note("msting's Vault login is missing or refused: making a new one with the stack's CA");
                let recovery = vault_access::recovery_operator(config).await.with_context(|| {
                    format!("msting's Vault login cannot be recovered ({e:#}): restore it from a backup with `msting restore`")
                })?;
                vault_access::renew_operator_credentials(config, &recovery).await?;
                vault_access::operator(config).await?
            }
            Err(e) => return Err(e),
        };
        let configured = bootstrap::configure(&operator, &plan(config)).await?;
        return Ok(Initialised { vault, mode, handed: None, configured });
    }
    // Everything that could refuse is checked before Vault is touched.
    let handout =
        shares::plan_handout(&vault_config.share_recipients, vault_config.key_shares, std::io::stdout().is_terminal())?;
    out.note(format!("initialising Vault at {}", vault.address()));
    let init = bootstrap::initialise(&vault, mode, vault_config.key_shares, vault_config.key_threshold).await?;

    // The shares first: whatever happens next, their holders have them.
    let handed = shares::hand_out(&handout, &init.shares)?;
    present_shares(out, &handed, init.threshold, mode)?;
    if mode == SealMode::Manual {
        for share in &init.shares[..init.threshold as usize] {
            seal::unseal(&vault, share).await?;
        }
    }

    // With the root token only what makes the operator; then the root token goes.
    let root = vault.with_token(init.root_token.clone());
    let established = async {
        let (role_id, secret_id) = bootstrap::establish_operator(&root, &plan(config)).await?;
        vault_access::save_credentials(&credentials, &role_id, &secret_id)
    }
    .await;
    let revoked = approle::revoke_self(&root).await;
    established.context(
        "Vault is initialised, but msting's operator login could not be set up and the root token is revoked; \
         Vault holds no data yet: stop it, empty its storage folder, and run `msting vault init` again",
    )?;
    revoked.context("the root token could not be revoked: seal Vault and rekey it")?;

    let operator = vault_access::operator(config).await?;
    let configured = bootstrap::configure(&operator, &plan(config))
        .await
        .context("Vault's set-up stopped part way: run `msting vault init` again to finish it")?;
    Ok(Initialised { vault, mode, handed: Some((handed, init.threshold)), configured })
}

/// What [`rekey`] did.
pub enum Rekeyed {
    /// The operator said no: nothing changed.
    Declined,
    Done {
        mode: SealMode,
        threshold: u32,
        handed: Vec<HandedShare>,
    },
}

pub async fn rekey(
    out: &Output,
    config: &sting_config::Config,
    key_file: Option<&std::path::Path>,
) -> anyhow::Result<Rekeyed> {
    let vault_config = &config.vault;
    let handout =
        shares::plan_handout(&vault_config.share_recipients, vault_config.key_shares, std::io::stdout().is_terminal())?;
    let operator = vault_access::operator(config).await?;
    let mode = if seal::status(&operator).await?.recovery_seal { SealMode::Auto } else { SealMode::Manual };
    let kind = if mode == SealMode::Auto { "recovery" } else { "unseal" };
    if !out.confirm(
        &format!("Replace every {kind} share? The current ones stop working once this completes"),
        "not rekeyed: re-run with --yes, or answer the prompt on a terminal",
    )? {
        return Ok(Rekeyed::Declined);
    }
    let mut input = shares::ShareInput::new(key_file)?;
    let mut progress = rekey::start(&operator, mode, vault_config.key_shares, vault_config.key_threshold).await?;
    let (new_shares, threshold) = loop {
        let Some(share) = input.next(&format!("Current {kind} share"), progress.progress, progress.required)? else {
            rekey::cancel(&operator, &progress).await;
            anyhow::bail!(
                "{} of {} current shares given: rekeying was cancelled and the current shares still work",
                progress.progress,
                progress.required
            );
        };
        match rekey::give(&operator, &progress, &share).await? {
            rekey::Step::NeedMore(next) => {
                out.note(format!("share accepted: {} of {}", next.progress, next.required));
                progress = next;
            }
            rekey::Step::Done { shares, threshold } => break (shares, threshold),
        }
    };
    let handed = shares::hand_out(&handout, &new_shares)?;
    present_shares(out, &handed, threshold, mode)?;
    Ok(Rekeyed::Done { mode, threshold, handed })
}

pub fn present_shares(out: &Output, handed: &[HandedShare], threshold: u32, mode: SealMode) -> anyhow::Result<()> {
    if out.json {
        return Ok(()); // in the document
    }
    let kind = match mode {
        SealMode::Auto => "Recovery key shares (Vault unseals itself; these recover or rekey it)",
        SealMode::Manual => "Unseal key shares (`msting unseal` needs them after every restart)",
    };
    out.result(format!("{kind}: {threshold} of {} are needed.", handed.len()));
    out.result(format!("{WARN}They are shown once and kept nowhere: give one to each holder now.{WARN:#}"));
    for share in handed {
        match &share.recipient {
            Some(recipient) => out.result(format!("share {} (for {recipient}):\n{}", share.number, share.share)),
            None => out.result(format!("share {}: {}", share.number, share.share)),
        }
    }
    Ok(())
}
