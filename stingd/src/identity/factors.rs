//! Sign-in factors: TOTP (a code is accepted at most once: the last accepted time step is stored
//! and only a later one passes, atomically; guesses are counted per account, see
//! [`lockout`](super::lockout); secrets are stored sealed by Vault's transit key), passwords (argon2id; an unknown account costs the
//! same time as a wrong password), and recovery codes (shown once, stored hashed, each usable
//! once).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use sting_vault::Vault;
use sting_vault::policy::STINGD_TRANSIT_KEY;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::IdentityError;
use super::cache::CredentialCache;
use super::lockout::{self, Attempt};

/// The issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "STING";
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const RECOVERY_CODES: usize = 10;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the kernel's random source");
    bytes
}

/// A TOTP secret sealed by the transit key, bound to its account: what is sealed is the user's
/// id and then the secret, so a sealed secret copied into another account's row does not open
/// there.
async fn seal_secret(vault: &Vault, user: Uuid, secret: &[u8]) -> Result<String, IdentityError> {
    let plain = Zeroizing::new([user.as_bytes().as_slice(), secret].concat());
    Ok(sting_vault::transit::encrypt(vault, STINGD_TRANSIT_KEY, &plain).await?)
}

async fn open_secret(vault: &Vault, user: Uuid, sealed: &str) -> Result<Zeroizing<Vec<u8>>, IdentityError> {
    let plain = sting_vault::transit::decrypt(vault, STINGD_TRANSIT_KEY, sealed).await?;
    match plain.strip_prefix(user.as_bytes().as_slice()) {
        Some(secret) => Ok(Zeroizing::new(secret.to_vec())),
        None => Err(IdentityError::MisplacedSecret),
    }
}

/// How many accounts' TOTP secrets are still stored unsealed.
pub async fn count_plain_secrets(pool: &PgPool) -> Result<i64, IdentityError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM totp_factors WHERE secret IS NOT NULL OR pending_secret IS NOT NULL")
        .fetch_one(pool)
        .await?)
}

/// An account's secret and pending secret, as stored before secrets were sealed.
type PlainSecrets = (Uuid, Option<Vec<u8>>, Option<Vec<u8>>);

/// Seals the TOTP secrets still stored plain (written before secrets were sealed), and empties
/// the plain columns: what stingd does at start once it has its Vault. Returns how many
/// accounts' secrets it sealed. Each row is changed only if its plain secret is still the one
/// sealed, so a concurrent enrolment is not overwritten.
pub async fn seal_plain_secrets(pool: &PgPool, vault: &Vault) -> Result<usize, IdentityError> {
    let rows: Vec<PlainSecrets> = sqlx::query_as(
        "SELECT user_id, secret, pending_secret FROM totp_factors WHERE secret IS NOT NULL OR pending_secret IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut sealed = 0;
    for (user, secret, pending) in rows {
        let (secret, pending) = (secret.map(Zeroizing::new), pending.map(Zeroizing::new));
        let sealed_secret = match &secret {
            Some(secret) => Some(seal_secret(vault, user, secret).await?),
            None => None,
        };
        let sealed_pending = match &pending {
            Some(pending) => Some(seal_secret(vault, user, pending).await?),
            None => None,
        };
        sealed += sqlx::query(
            "UPDATE totp_factors SET sealed_secret = coalesce($2, sealed_secret), sealed_pending = coalesce($3, sealed_pending),
                    secret = NULL, pending_secret = NULL
             WHERE user_id = $1 AND secret IS NOT DISTINCT FROM $4 AND pending_secret IS NOT DISTINCT FROM $5",
        )
        .bind(user)
        .bind(sealed_secret)
        .bind(sealed_pending)
        .bind(secret.as_deref().map(Vec::as_slice))
        .bind(pending.as_deref().map(Vec::as_slice))
        .execute(pool)
        .await?
        .rows_affected() as usize;
    }
    Ok(sealed)
}

fn totp(secret: Vec<u8>, account: &str) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        // One step either side: phones whose clocks drift a little still work.
        .with_skew(1)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(TOTP_ISSUER))
        .build_noncompliant()
}

/// What a user scans into an authenticator app. Shown once; never logged.
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

/// Starts (or restarts) TOTP enrolment with a new 160-bit secret. While a confirmed secret
/// exists the new one waits beside it (`pending_secret`) and only a code of the new one, at
/// [`TotpCheck::Enrolment`], puts it in place: a set-up abandoned halfway leaves the working
/// factor working.
pub async fn enrol_totp(
    pool: &PgPool,
    vault: &Vault,
    user: Uuid,
    account: &str,
) -> Result<TotpEnrolment, IdentityError> {
    let secret = random_bytes::<20>().to_vec();
    let sealed = seal_secret(vault, user, &secret).await?;
    sqlx::query(
        "INSERT INTO totp_factors (user_id, sealed_secret) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET
           sealed_secret = CASE WHEN totp_factors.confirmed_at IS NULL THEN EXCLUDED.sealed_secret ELSE totp_factors.sealed_secret END,
           sealed_pending = CASE WHEN totp_factors.confirmed_at IS NULL THEN NULL ELSE EXCLUDED.sealed_secret END,
           secret = NULL,
           pending_secret = NULL,
           last_step = CASE WHEN totp_factors.confirmed_at IS NULL THEN NULL ELSE totp_factors.last_step END",
    )
    .bind(user)
    .bind(&sealed)
    .execute(pool)
    .await?;
    let totp = totp(secret, account);
    let url = totp.to_url().map_err(|e| IdentityError::Hashing(e.to_string()))?;
    Ok(TotpEnrolment { secret_base32: totp.secret().to_base32(), otpauth_url: url })
}

/// The `otpauth://` address of the secret being set up (waiting beside a confirmed one, or not
/// yet confirmed), for the page that draws its QR code; `None` when none is being set up.
pub async fn pending_totp_url(
    pool: &PgPool,
    vault: &Vault,
    user: Uuid,
    account: &str,
) -> Result<Option<zeroize::Zeroizing<String>>, IdentityError> {
    let sealed: Option<Option<String>> = sqlx::query_scalar(
        "SELECT CASE WHEN confirmed_at IS NULL THEN sealed_secret ELSE sealed_pending END
         FROM totp_factors WHERE user_id = $1",
    )
    .bind(user)
    .fetch_optional(pool)
    .await?;
    let Some(sealed) = sealed.flatten() else { return Ok(None) };
    let secret = open_secret(vault, user, &sealed).await?;
    let url = totp(secret.to_vec(), account).to_url().map_err(|e| IdentityError::Hashing(e.to_string()))?;
    Ok(Some(zeroize::Zeroizing::new(url)))
}

/// Whether `user` has a confirmed TOTP factor.
pub async fn has_totp(pool: &PgPool, user: Uuid) -> Result<bool, IdentityError> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL)")
        .bind(user)
        .fetch_one(pool)
        .await?)
}

/// How many unused recovery codes `user` has.
pub async fn recovery_codes_left(pool: &PgPool, user: Uuid) -> Result<i64, IdentityError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1").bind(user).fetch_one(pool).await?)
}

/// Which TOTP secret a code is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotpCheck {
    /// The secret in use (signing in).
    Current,
    /// The secret being set up, if one is pending, else the one in use (confirming).
    Enrolment,
}

/// Checks a TOTP code at `now` (Unix seconds). True once per time step: a replayed code, or one
/// older than the last accepted, is refused even when it is otherwise valid. Not counted
/// against the account: sign-in routes use [`second_factor`].
pub async fn verify_totp(
    pool: &PgPool,
    vault: &Vault,
    user: Uuid,
    code: &str,
    now: u64,
    check: TotpCheck,
) -> Result<bool, IdentityError> {
    verify_totp_on(&mut *pool.acquire().await?, vault, user, code, now, check).await
}

async fn verify_totp_on(
    conn: &mut sqlx::PgConnection,
    vault: &Vault,
    user: Uuid,
    code: &str,
    now: u64,
    check: TotpCheck,
) -> Result<bool, IdentityError> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT sealed_secret, sealed_pending FROM totp_factors WHERE user_id = $1")
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((sealed, pending)) = row else { return Ok(false) };
    if let (TotpCheck::Enrolment, Some(pending)) = (check, pending) {
        let secret = open_secret(vault, user, &pending).await?;
        let Some(step) = totp(secret.to_vec(), "-").check(code.trim(), now) else { return Ok(false) };
        // A new secret's codes were never used, so the old one's last step does not bind it;
        // the compare-and-set on the pending secret lets one request win.
        let moved = sqlx::query(
            "UPDATE totp_factors SET sealed_secret = sealed_pending, sealed_pending = NULL, last_step = $2, confirmed_at = now()
             WHERE user_id = $1 AND sealed_pending = $3",
        )
        .bind(user)
        .bind(step as i64)
        .bind(&pending)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        return Ok(moved == 1);
    }
    // Not sealed yet (stingd seals at start): no code can be checked until it is.
    let Some(sealed) = sealed else { return Err(IdentityError::UnsealedSecret) };
    let secret = open_secret(vault, user, &sealed).await?;
    let Some(step) = totp(secret.to_vec(), "-").check(code.trim(), now) else { return Ok(false) };
    // The compare-and-set is one statement: two requests with the same code cannot both win.
    let accepted = sqlx::query(
        "UPDATE totp_factors SET last_step = $2, confirmed_at = coalesce(confirmed_at, now())
         WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
    )
    .bind(user)
    .bind(step as i64)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(accepted == 1)
}

/// What a second-factor step proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactorStep {
    /// Password sign-in: a TOTP code of the secret in use, or a recovery code.
    SignIn,
    /// Confirming TOTP set-up: a code of the secret being set up.
    Enrolment,
}

/// A second-factor attempt, counted against the account ([`lockout`](super::lockout)): locked
/// out, the code is not even checked.
pub async fn second_factor(
    pool: &PgPool,
    vault: &Vault,
    user: Uuid,
    code: &str,
    now: u64,
    step: SecondFactorStep,
) -> Result<Attempt, IdentityError> {
    let mut hold = match lockout::begin(pool, user).await? {
        lockout::Start::Checking(hold) => hold,
        lockout::Start::Locked(retry_after) => return Ok(Attempt::LockedOut { retry_after }),
        lockout::Start::Busy => return Ok(Attempt::Rejected),
    };
    let accepted = match step {
        SecondFactorStep::Enrolment => {
            verify_totp_on(hold.connection(), vault, user, code, now, TotpCheck::Enrolment).await?
        }
        SecondFactorStep::SignIn => {
            verify_totp_on(hold.connection(), vault, user, code, now, TotpCheck::Current).await?
                || use_recovery_code_on(hold.connection(), user, code).await?
        }
    };
    hold.finish(accepted).await
}

/// OWASP's argon2id parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
    )
}

pub fn hash_password(password: &str) -> Result<String, IdentityError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(IdentityError::PasswordTooShort { min: MIN_PASSWORD_CHARS });
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| IdentityError::Hashing(e.to_string()))?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| IdentityError::Hashing(e.to_string()))?
        .to_string())
}

pub async fn set_password(pool: &PgPool, user: Uuid, password: &str) -> Result<(), IdentityError> {
    let hash = hash_password(password)?;
    sqlx::query(
        "INSERT INTO password_factors (user_id, hash) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET hash = EXCLUDED.hash, changed_at = now()",
    )
    .bind(user)
    .bind(hash)
    .execute(pool)
    .await?;
    Ok(())
}

/// The user whose email and password these are, if any. The work is the same whether the
/// account exists or not, so timing does not tell.
pub async fn verify_password(pool: &PgPool, email: &str, password: &str) -> Result<Option<Uuid>, IdentityError> {
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT u.id, p.hash FROM users u JOIN password_factors p ON p.user_id = u.id
         WHERE lower(u.email) = lower($1) AND u.disabled_at IS NULL",
    )
    .bind(email.trim())
    .fetch_optional(pool)
    .await?;
    let (user, stored) = match row {
        Some((user, hash)) => (Some(user), hash),
        None => (None, dummy_hash().to_string()),
    };
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| IdentityError::Hashing(e.to_string()))?;
    Ok(if ok { user } else { None })
}

/// A hash of nothing anyone knows, verified for unknown accounts.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&format!("{:x?}", random_bytes::<24>())).expect("hashing works"))
}

fn recovery_hash(code: &str) -> Vec<u8> {
    let normalised: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    Sha256::digest(normalised.as_bytes()).to_vec()
}

/// Replaces the user's recovery codes with ten new ones (`xxxxx-xxxxx`, 50 bits each), shown
/// once. They are long and random, so a fast hash suffices to store them.
pub async fn new_recovery_codes(pool: &PgPool, user: Uuid) -> Result<Vec<String>, IdentityError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let bytes = random_bytes::<10>();
            let chars: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
    for code in &codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user)
            .bind(recovery_hash(code))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(codes)
}

/// Uses up a recovery code: true the first time, false ever after.
pub async fn use_recovery_code(pool: &PgPool, user: Uuid, code: &str) -> Result<bool, IdentityError> {
    use_recovery_code_on(&mut *pool.acquire().await?, user, code).await
}

async fn use_recovery_code_on(conn: &mut sqlx::PgConnection, user: Uuid, code: &str) -> Result<bool, IdentityError> {
    let used = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
        .bind(user)
        .bind(recovery_hash(code))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(used == 1)
}

/// Whether the user has a second factor (a confirmed TOTP or a passkey): then adding another
/// needs a session that used one (AAL2), or a stolen first factor could add its own.
pub async fn has_second_factor(pool: &PgPool, user: Uuid) -> Result<bool, IdentityError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL)
             OR EXISTS (SELECT 1 FROM passkey_factors WHERE user_id = $1)",
    )
    .bind(user)
    .fetch_one(pool)
    .await?)
}

/// What [`reset_all`] ended besides the factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reset {
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

/// Removes every factor of a user (TOTP, password, passkeys, recovery codes), ends their
/// sessions and revokes their API tokens, in one transaction: for a lost phone or a suspected
/// compromise, when a token made by whoever had the account must stop too. The user enrols
/// again.
pub async fn reset_all(pool: &PgPool, cache: &CredentialCache, user: Uuid) -> Result<Reset, IdentityError> {
    let mut tx = pool.begin().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)").bind(user).fetch_one(&mut *tx).await?;
    if !exists {
        return Err(IdentityError::NoSuchUser);
    }
    for table in ["totp_factors", "password_factors", "passkey_factors", "recovery_codes", "second_factor_failures"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1")).bind(user).execute(&mut *tx).await?;
    }
    let sessions_ended =
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?.rows_affected();
    let tokens_revoked =
        sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    tx.commit().await?;
    cache.forget_user(user);
    Ok(Reset { sessions_ended, tokens_revoked })
}
