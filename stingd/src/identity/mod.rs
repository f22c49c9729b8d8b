//! Identity storage: users and their sign-in factors, in PostgreSQL. The HTTP flows (magic links,
//! passkeys, sessions, roles) build on these functions; each function here keeps one rule that
//! must hold whatever route calls it (a TOTP code is accepted once, a recovery code once, an
//! unknown email costs the same time as a wrong password).

pub mod account;
pub mod account_api;
pub mod admin;
pub mod audit;
pub mod cache;
pub mod credential;
pub mod devices;
pub mod enrolment;
pub mod factors;
pub mod kratos;
pub mod lockout;
pub mod magic;
pub mod passkeys;
mod secrets;
pub mod sessions;
pub mod signin;
pub mod tokens;
pub mod tokens_api;
pub mod users;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the email address is not valid")]
    InvalidEmail,
    #[error("a password needs at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("no such user")]
    NoSuchUser,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("passkey: {0}")]
    Passkey(String),
    #[error("password hashing: {0}")]
    Hashing(String),
    /// TOTP secrets are sealed by Vault's transit key: without Vault there is no checking a code.
    #[error("TOTP needs stingd's Vault, which seals its secrets: start stingd with STING_VAULT_ADDR")]
    NoVault,
    #[error("Vault: {0}")]
    Vault(#[from] sting_vault::VaultError),
    #[error("a TOTP secret is still stored unsealed: stingd seals them when it starts with its Vault")]
    UnsealedSecret,
    #[error("a sealed TOTP secret opened as another account's: the row was copied")]
    MisplacedSecret,
}
