//! What every HTTP route stands on, whichever feature serves it: the error shape (`ApiError`),
//! who is asking (`Caller`, `Principal`) and what each route demands (`Access`, `Routes`), the
//! rate-limit zones and their limiter, and the edge (security headers, the plain-HTTP port).
//! Nothing here knows a feature: features import this, never the other way round.

pub mod access;
pub mod callers;
pub mod error;
pub mod front;
pub mod limits;
pub mod zones;

pub use callers::{ApiKeys, Caller};
pub use error::{ApiError, respond};
pub use limits::RateLimiter;
pub use zones::{Network, PeerAddr, RejectionLog, Zone, ZoneKey};

/// Largest request body accepted (prompts with long documents fit; a runaway upload does not).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
