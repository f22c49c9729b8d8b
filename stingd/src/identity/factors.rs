//! Sign-in factors: TOTP (a code is accepted at most once: the last accepted time step is stored
//! and only a later one passes, atomically), passwords (argon2id; an unknown account costs the
//! same time as a wrong password), and recovery codes (shown once, stored hashed, each usable
//! once).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;
use super::cache::CredentialCache;

/// The issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "STING";
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const RECOVERY_CODES: usize = 10;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the kernel's random source");
    bytes
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

/// Starts (or restarts) TOTP enrolment with a new 160-bit secret.
pub async fn enrol_totp(pool: &PgPool, user: Uuid, account: &str) -> Result<TotpEnrolment, IdentityError> {
    let secret = random_bytes::<20>().to_vec();
    sqlx::query(
        "INSERT INTO totp_factors (user_id, secret) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_step = NULL, confirmed_at = NULL",
    )
    .bind(user)
    .bind(&secret)
    .execute(pool)
    .await?;
    let totp = totp(secret, account);
    let url = totp.to_url().map_err(|e| IdentityError::Hashing(e.to_string()))?;
    Ok(TotpEnrolment { secret_base32: totp.secret().to_base32(), otpauth_url: url })
}

/// Checks a TOTP code at `now` (Unix seconds). True once per time step: a replayed code, or one
/// older than the last accepted, is refused even when it is otherwise valid.
pub async fn verify_totp(pool: &PgPool, user: Uuid, code: &str, now: u64) -> Result<bool, IdentityError> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT secret FROM totp_factors WHERE user_id = $1").bind(user).fetch_optional(pool).await?;
    let Some((secret,)) = row else { return Ok(false) };
    let Some(step) = totp(secret, "-").check(code.trim(), now) else { return Ok(false) };
    // The compare-and-set is one statement: two requests with the same code cannot both win.
    let accepted = sqlx::query(
        "UPDATE totp_factors SET last_step = $2, confirmed_at = coalesce(confirmed_at, now())
         WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
    )
    .bind(user)
    .bind(step as i64)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(accepted == 1)
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
    let used = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
        .bind(user)
        .bind(recovery_hash(code))
        .execute(pool)
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

/// Removes every factor of a user (TOTP, password, passkeys, recovery codes) and ends their sessions, in
/// one transaction: for a lost phone or a suspected compromise. The user enrols again.
pub async fn reset_all(pool: &PgPool, cache: &CredentialCache, user: Uuid) -> Result<(), IdentityError> {
    let mut tx = pool.begin().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)").bind(user).fetch_one(&mut *tx).await?;
    if !exists {
        return Err(IdentityError::NoSuchUser);
    }
    for table in ["totp_factors", "password_factors", "passkey_factors", "recovery_codes", "sessions"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1")).bind(user).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    cache.forget_user(user);
    Ok(())
}
