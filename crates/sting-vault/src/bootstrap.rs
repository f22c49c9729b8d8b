//! Bringing a new Vault into service, once: initialise it (static-key auto-unseal with recovery
//! shares, or Shamir shares for manual unsealing), then with the root token set up everything
//! the stack needs (KV v2, AppRole, transit, policies, roles, generated secrets, an audit device
//! check), and finally revoke the root token. Re-running [`configure`] changes nothing that is
//! already right, and never replaces a generated secret.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::approle::{self, RoleSpec, TokenLife};
use crate::policy::{self, STINGD_TRANSIT_KEY, TRANSIT_MOUNT};
use crate::seal::{self, SealStatus};
use crate::{Secret, Vault, VaultError, kv, transit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealMode {
    /// The server unseals itself with its static key; the shares are recovery shares.
    Auto,
    /// Shamir shares that unseal it after every restart.
    Manual,
}

impl From<sting_config::UnsealMode> for SealMode {
    fn from(mode: sting_config::UnsealMode) -> Self {
        match mode {
            sting_config::UnsealMode::Auto => Self::Auto,
            sting_config::UnsealMode::Manual => Self::Manual,
        }
    }
}

/// What initialisation hands out, once.
#[derive(Debug)]
pub struct Initialised {
    /// Unseal shares (manual) or recovery shares (auto), base64.
    pub shares: Vec<Secret>,
    pub threshold: u32,
    pub root_token: Secret,
    pub mode: SealMode,
}

/// Initialises Vault. An initialised Vault is left alone ([`VaultError::AlreadyInitialised`]).
/// In auto mode, returns once the server has unsealed itself.
pub async fn initialise(vault: &Vault, mode: SealMode, shares: u32, threshold: u32) -> Result<Initialised, VaultError> {
    if threshold == 0 || threshold > shares {
        return Err(VaultError::Refused {
            what: format!("{threshold} of {shares} shares"),
            reason: "the threshold must be between 1 and the number of shares".into(),
        });
    }
    let before = seal::status(vault).await?;
    if before.initialized {
        return Err(VaultError::AlreadyInitialised { address: vault.address().into() });
    }
    let auto = before.seal_type != "shamir";
    match (mode, auto) {
        (SealMode::Auto, false) => {
            return Err(VaultError::Refused {
                what: "auto-unseal".into(),
                reason: "the server has no seal \"static\" in its configuration (it would need manual unsealing)"
                    .into(),
            });
        }
        (SealMode::Manual, true) => {
            return Err(VaultError::Refused {
                what: "manual unsealing".into(),
                reason: format!("the server is configured with the {} seal", before.seal_type),
            });
        }
        _ => {}
    }
    let body = match mode {
        SealMode::Auto => json!({ "recovery_shares": shares, "recovery_threshold": threshold }),
        SealMode::Manual => json!({ "secret_shares": shares, "secret_threshold": threshold }),
    };
    let answer = vault.call(Method::PUT, "sys/init", Some(&body)).await?;
    let unexpected = |reason: &str| VaultError::Unexpected { path: "sys/init".into(), reason: reason.into() };
    let answer = answer.ok_or_else(|| unexpected("empty answer"))?;
    let list = |name: &str| -> Vec<Secret> {
        answer
            .get(name)
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).map(Secret::new).collect())
            .unwrap_or_default()
    };
    let shares_given = match mode {
        SealMode::Auto => list("recovery_keys_base64"),
        SealMode::Manual => list("keys_base64"),
    };
    if shares_given.len() != shares as usize {
        return Err(unexpected("the number of shares returned differs from the number asked for"));
    }
    let root_token =
        answer.get("root_token").and_then(Value::as_str).map(Secret::new).ok_or_else(|| unexpected("no root token"))?;
    if mode == SealMode::Auto {
        wait_until_unsealed(vault, Duration::from_secs(30)).await?;
    }
    Ok(Initialised { shares: shares_given, threshold, root_token, mode })
}

/// Waits for the server to be unsealed and active (auto-unseal after a start or init; the
/// moment after the last share). Unsealed is not yet enough: until raft has elected the node,
/// requests fail.
pub async fn wait_until_unsealed(vault: &Vault, patience: Duration) -> Result<SealStatus, VaultError> {
    let started = Instant::now();
    loop {
        match vault.health_code().await {
            Ok(200) => return seal::status(vault).await,
            Ok(501) => return Err(VaultError::NotInitialised { address: vault.address().into() }),
            Ok(_) | Err(VaultError::Unreachable { .. }) if started.elapsed() < patience => {}
            Ok(_) => return Err(VaultError::Sealed { address: vault.address().into() }),
            Err(e) => return Err(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A secret the stack needs, generated once.
#[derive(Clone, Debug)]
pub struct Generated {
    /// Below the KV mount, as `database/stingd`.
    pub path: String,
    pub key: String,
    /// Random bytes (base64url in the stored value).
    pub bytes: usize,
}

/// What [`configure`] sets up.
#[derive(Clone, Debug)]
pub struct Plan {
    pub kv_mount: String,
    /// The operator's tokens live this long.
    pub operator_token_ttl: Duration,
    /// Where msting's requests come from as Vault sees them (loopback, or the Docker bridge's
    /// gateway when Vault runs in a container).
    pub operator_cidrs: Vec<String>,
    /// How long a service's wrapped secret-id waits to be opened, and its own lifetime after.
    pub service_secret_id_ttl: Duration,
    /// A service's token must be renewed within this period; renewed, it lives on.
    pub service_token_period: Duration,
    pub generated: Vec<Generated>,
    /// Where an audit device writes if the server has none (HashiCorp Vault; OpenBao declares
    /// it in its configuration file).
    pub audit_file: String,
    /// The stack's CA certificate (PEM), for msting's certificate login after a restore
    /// ([`crate::recovery`]); `None` sets none up.
    pub recovery_ca_pem: Option<String>,
}

impl Plan {
    /// The stack's secrets: database logins, stingd's session and cookie keys.
    pub fn stack_secrets() -> Vec<Generated> {
        let secret = |path: &str, key: &str| Generated { path: path.into(), key: key.into(), bytes: 32 };
        vec![
            secret("database/postgres", "password"),
            secret("database/stingd", "password"),
            secret("stingd/keys", "session_key"),
            secret("stingd/keys", "cookie_key"),
            secret("stingd/keys", "api_key"),
        ]
    }
}

/// The roles: msting's, and one per service.
pub const OPERATOR_ROLE: &str = "operator";
pub const SERVICE_ROLES: &[&str] = &["stingd"];

/// What [`configure`] did, and the role-ids the services need (role-ids are not secrets alone).
#[derive(Debug, Default)]
pub struct Configured {
    pub role_ids: BTreeMap<String, String>,
    /// Paths of generated secrets created this time (existing ones are kept as they are).
    pub generated: Vec<String>,
    pub audit_devices: Vec<String>,
}

fn operator_role(plan: &Plan) -> RoleSpec {
    RoleSpec {
        name: OPERATOR_ROLE.into(),
        policies: vec![OPERATOR_ROLE.into()],
        token: TokenLife::Fixed(plan.operator_token_ttl),
        bound_cidrs: plan.operator_cidrs.clone(),
        secret_id_uses: 0,
        secret_id_ttl: None,
    }
}

/// The first thing done with the root token, right after initialisation: an audit device,
/// AppRole, and the operator's policy and role; returns the operator's credentials. Everything
/// after is done as the operator, so that it can be finished or redone once the root token is
/// gone (OpenBao no longer lets shares mint a new one without a token).
pub async fn establish_operator(root: &Vault, plan: &Plan) -> Result<(String, Secret), VaultError> {
    wait_until_unsealed(root, Duration::from_secs(30)).await?;
    ensure_audit(root, &plan.audit_file).await?;
    ensure_approle(root).await?;
    set_policy(root, OPERATOR_ROLE, &policy::operator(&plan.kv_mount)).await?;
    approle::ensure_role(root, &operator_role(plan)).await?;
    operator_credentials(root).await
}

async fn set_policy(vault: &Vault, name: &str, text: &str) -> Result<(), VaultError> {
    let path = format!("sys/policies/acl/{name}");
    vault.call(Method::PUT, &path, Some(&json!({ "policy": text }))).await.map(|_| ())
}

async fn ensure_approle(vault: &Vault) -> Result<(), VaultError> {
    let auths = vault.call(Method::GET, "sys/auth", None).await?.unwrap_or_default();
    if auths.get("approle/").is_none() && auths.pointer("/data/approle~1").is_none() {
        vault.call(Method::POST, "sys/auth/approle", Some(&json!({ "type": "approle" }))).await?;
    }
    Ok(())
}

/// Sets up (or checks) everything else, as the operator (or any token allowed as much).
/// Idempotent: it finishes an interrupted set-up and brings an older one up to date.
pub async fn configure(vault: &Vault, plan: &Plan) -> Result<Configured, VaultError> {
    wait_until_unsealed(vault, Duration::from_secs(30)).await?;
    let mut done = Configured { audit_devices: ensure_audit(vault, &plan.audit_file).await?, ..Default::default() };

    let mounts = vault.call(Method::GET, "sys/mounts", None).await?.unwrap_or_default();
    let mounted =
        |name: &str| mounts.get(format!("{name}/")).is_some() || mounts.pointer(&format!("/data/{name}~1")).is_some();
    if !mounted(&plan.kv_mount) {
        let body = json!({ "type": "kv", "options": { "version": "2" } });
        vault.call(Method::POST, &format!("sys/mounts/{}", plan.kv_mount), Some(&body)).await?;
    }
    if !mounted(TRANSIT_MOUNT) {
        vault.call(Method::POST, &format!("sys/mounts/{TRANSIT_MOUNT}"), Some(&json!({ "type": "transit" }))).await?;
    }
    ensure_approle(vault).await?;
    transit::ensure_key(vault, STINGD_TRANSIT_KEY).await?;

    for (name, text) in [(OPERATOR_ROLE, policy::operator(&plan.kv_mount)), ("stingd", policy::stingd(&plan.kv_mount))]
    {
        set_policy(vault, name, &text).await?;
    }
    done.role_ids.insert(OPERATOR_ROLE.into(), approle::ensure_role(vault, &operator_role(plan)).await?);
    for service in SERVICE_ROLES {
        let spec = RoleSpec {
            name: (*service).into(),
            policies: vec![(*service).into()],
            token: TokenLife::Periodic(plan.service_token_period),
            bound_cidrs: Vec::new(),
            secret_id_uses: 1,
            secret_id_ttl: Some(plan.service_secret_id_ttl),
        };
        done.role_ids.insert((*service).into(), approle::ensure_role(vault, &spec).await?);
    }

    if let Some(ca_pem) = &plan.recovery_ca_pem {
        let role = crate::recovery::RecoveryRole {
            ca_pem: ca_pem.clone(),
            policies: vec![OPERATOR_ROLE.into()],
            token_ttl: plan.operator_token_ttl,
            bound_cidrs: plan.operator_cidrs.clone(),
        };
        crate::recovery::ensure(vault, &role).await?;
    }

    let mut by_path: BTreeMap<&str, Vec<&Generated>> = BTreeMap::new();
    for secret in &plan.generated {
        by_path.entry(&secret.path).or_default().push(secret);
    }
    for (path, secrets) in by_path {
        let current = kv::get(vault, &plan.kv_mount, path).await?.unwrap_or_default();
        let missing: Vec<_> = secrets.iter().filter(|s| !current.contains_key(&s.key)).collect();
        if missing.is_empty() {
            continue;
        }
        let version = kv::version(vault, &plan.kv_mount, path).await?;
        let mut values = current;
        for secret in missing {
            values.insert(secret.key.clone(), Secret::generate(secret.bytes));
            done.generated.push(format!("{path}#{}", secret.key));
        }
        // Check-and-set: a concurrent writer makes this fail rather than be overwritten.
        kv::put(vault, &plan.kv_mount, path, &values, Some(version)).await?;
    }
    Ok(done)
}

/// The names of the audit devices Vault writes to.
pub async fn audit_devices(vault: &Vault) -> Result<Vec<String>, VaultError> {
    let answer = vault.call(Method::GET, "sys/audit", None).await?.unwrap_or_default();
    let map = answer.get("data").filter(|d| d.is_object()).unwrap_or(&answer);
    Ok(map
        .as_object()
        .map(|m| m.keys().filter(|k| k.ends_with('/')).map(|k| k.trim_end_matches('/').to_string()).collect())
        .unwrap_or_default())
}

/// The audit devices, after making sure there is one. OpenBao only takes them from its
/// configuration file; HashiCorp Vault also through the API, which is tried when none is there.
async fn ensure_audit(vault: &Vault, file: &str) -> Result<Vec<String>, VaultError> {
    let devices = audit_devices(vault).await?;
    if !devices.is_empty() {
        return Ok(devices);
    }
    let body = json!({ "type": "file", "options": { "file_path": file } });
    match vault.call(Method::PUT, "sys/audit/sting", Some(&body)).await {
        Ok(_) => audit_devices(vault).await,
        Err(VaultError::Api { .. } | VaultError::Denied { .. }) => Err(VaultError::Refused {
            what: "running without an audit device".into(),
            reason: "the server has none and would not add one through its API: declare `audit \"file\"` in its configuration (msting's server config does)".into(),
        }),
        Err(other) => Err(other),
    }
}

/// The operator's login: the role-id and a secret-id for msting to keep in a root-only file.
pub async fn operator_credentials(vault: &Vault) -> Result<(String, Secret), VaultError> {
    let role_id = approle::role_id(vault, OPERATOR_ROLE).await?;
    Ok((role_id, approle::issue_secret_id(vault, OPERATOR_ROLE).await?))
}
