//! What a validated credential resolves to: a built-in or Kratos session, or an API token's
//! owner. Its own module so that the cache, sessions and tokens all name it without naming
//! each other.

use uuid::Uuid;

use super::users::Role;

/// Authentication assurance: 1 for one factor, 2 for two (or a passkey with verification).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aal {
    One = 1,
    Two = 2,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: Uuid,
    pub email: String,
    pub role: Role,
    pub aal: Aal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenOwner {
    pub token: Uuid,
    pub user: Uuid,
    pub email: String,
    pub role: Role,
    pub scopes: Vec<String>,
}

/// What a validated credential resolves to.
#[derive(Clone, Debug)]
pub enum Credential {
    Session(Session),
    Token(TokenOwner),
}

impl Credential {
    pub(super) fn user(&self) -> Uuid {
        match self {
            Self::Session(s) => s.user,
            Self::Token(t) => t.user,
        }
    }
}
