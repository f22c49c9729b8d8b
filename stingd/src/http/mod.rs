//! The HTTP application: its state (`state`), who is asking (`auth`, `callers`, `access`), what
//! each route demands and the one route table (`access::Routes`, `routes`), the error shape
//! (`error`), the rate-limit zones and their limiter, and the edge (security headers, the
//! plain-HTTP port). `error`, `callers`, `access`, `limits`, `zones` and `front` know no
//! feature; `state`, `auth` and `routes` are where the features meet.

pub mod access;
pub mod auth;
pub mod callers;
pub mod error;
pub mod front;
pub mod health;
pub mod limits;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod zones;

pub use routes::{router, routes};
pub use state::{AppState, DocumentRules, Identity, Zones, is_builtin_only};

pub use callers::{ApiKeys, Caller};
pub use error::{ApiError, ErrorKind};
pub use limits::RateLimiter;
pub use zones::{Network, PeerAddr, RejectionLog, Zone, ZoneKey};

/// Largest request body accepted (prompts with long documents fit; a runaway upload does not).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
