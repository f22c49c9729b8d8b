//! Rate-limit zones by client address, as the original's nginx `limit_req_zone`s: `api` for
//! every API route, `ai` for the model routes, `auth` for sign-in (with the identity routes).
//! They run before authentication, so guessing keys is slowed like anything else.
//!
//! The `per_user` zones count the same routes by signed-in user or gateway key (after
//! authentication), and password and passkey sign-in attempts by the account they name, so
//! that spreading requests over many addresses does not escape the limits. Refusals are
//! recorded in the audit log (sparingly, see [`RejectionLog`]).
//!
//! The client address is the connection's peer, unless that peer is a configured trusted
//! proxy: then the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
//! From anyone else the header is ignored, so it cannot be used to dodge a limit.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use uuid::Uuid;

use super::callers::Caller;
use super::error::ApiError;
use super::limits::RateLimiter;

/// The address of the connection's peer, for any listener that knows it (plain TCP or TLS).
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::TlsListener>> for PeerAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::PlainListener>> for PeerAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::tls::PlainListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// A network of trusted proxies (an address is a /32 or /128).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Option<Self> {
        let (ip, prefix) = match text.split_once('/') {
            Some((ip, bits)) => (ip.parse().ok()?, bits.parse().ok()?),
            None => {
                let ip: IpAddr = text.parse().ok()?;
                (ip, if ip.is_ipv4() { 32 } else { 128 })
            }
        };
        Some(Self { base: ip, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
            if prefix == 0 { 0 } else { bits >> (width - prefix.min(width)) }
        }
        match (self.base, ip.to_canonical()) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                masked(u32::from(base).into(), self.prefix, 32) == masked(u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                masked(base.into(), self.prefix, 128) == masked(ip.into(), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// The client's address, as described above.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer.to_canonical();
    }
    let Some(header) = forwarded_for else { return peer.to_canonical() };
    let mut client = peer.to_canonical();
    for hop in header.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(client) {
                    break;
                }
            }
            Err(_) => break, // a malformed entry: trust nothing further left
        }
    }
    client
}

/// What a zone counts requests by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ZoneKey {
    /// A client address; IPv6 clients by their /64, since one host is routinely given a whole
    /// /64 and could otherwise take a fresh bucket for every request.
    Address(IpAddr),
    /// A signed-in user or gateway key.
    Caller(Caller),
    /// An account named in a sign-in attempt (its address, lower-cased), whether or not it
    /// exists, so the limit tells nothing about which accounts do.
    Account(Arc<str>),
}

impl ZoneKey {
    pub fn address(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => Self::Address(IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into())),
            v4 => Self::Address(v4),
        }
    }

    pub fn caller(caller: &Caller) -> Self {
        Self::Caller(*caller)
    }

    pub fn account(email: &str) -> Self {
        // Long enough for any real address; an attacker's megabyte stays out of memory and the audit log.
        let email: String = email.trim().chars().take(254).collect();
        Self::Account(email.to_lowercase().into())
    }

    /// How the audit log names it.
    fn target(&self) -> String {
        match self {
            Self::Address(IpAddr::V6(v6)) => format!("address:{v6}/64"),
            Self::Address(ip) => format!("address:{ip}"),
            Self::Caller(id) => id.to_string(),
            Self::Account(email) => format!("account:{email}"),
        }
    }
}

/// One zone: its limiter, the proxies whose forwarding headers count, and where rejections
/// are recorded.
#[derive(Clone)]
pub struct Zone {
    pub name: &'static str,
    limiter: Arc<RateLimiter<ZoneKey>>,
    trusted: Arc<Vec<Network>>,
    rejections: Arc<RejectionLog>,
}

impl Zone {
    pub fn new(
        name: &'static str,
        rate: sting_config::Rate,
        trusted: Arc<Vec<Network>>,
        rejections: Arc<RejectionLog>,
    ) -> Self {
        Self { name, limiter: Arc::new(RateLimiter::new(rate)), trusted, rejections }
    }

    /// Takes a token for `key`, or refuses with 429 and `Retry-After` (and notes the refusal).
    pub fn check(&self, key: ZoneKey, actor: Option<Uuid>) -> Result<(), ApiError> {
        let Err(wait) = self.limiter.check(&key) else { return Ok(()) };
        let message = match &key {
            ZoneKey::Address(_) => format!("too many requests from this address (zone `{}`)", self.name),
            ZoneKey::Caller(_) => format!("too many requests from this user (zone `{}`, per user)", self.name),
            ZoneKey::Account(_) => "too many sign-in attempts for this account: wait before trying again".into(),
        };
        self.rejections.note(self.name, &key, actor, wait);
        Err(ApiError::rate_limited("rate_limited", message, wait))
    }

    /// The client's address for this zone (see [`client_address`]).
    pub fn client(&self, request: &Request) -> Option<IpAddr> {
        let ConnectInfo(PeerAddr(peer)) = request.extensions().get::<ConnectInfo<PeerAddr>>().copied()?;
        let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        Some(client_address(peer.ip(), forwarded, &self.trusted))
    }
}

/// The middleware: 429 with `Retry-After` when the client's bucket in this zone is empty.
pub async fn limit(State(zone): State<Zone>, request: Request, next: Next) -> Response {
    limit_request(&zone, request, next).await
}

pub async fn limit_request(zone: &Zone, request: Request, next: Next) -> Response {
    let Some(client) = zone.client(&request) else {
        // Served without connection info: a programming error, refused rather than unlimited.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match zone.check(ZoneKey::address(client), None) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// Records refusals in the audit log, so that admins see who is being slowed. A flood must not
/// become a flood of writes: a key is recorded once a minute at most (with the count since),
/// and all keys together at most [`REJECTIONS_RECORDED_PER_MINUTE`] times a minute; every
/// refusal still reaches the tracing log as a debug event.
pub struct RejectionLog {
    pool: Option<sqlx::PgPool>,
    /// Where the writes run, so that a shutdown waits for them.
    tasks: crate::tasks::Tasks,
    /// Per zone and key: when last recorded, and refusals since.
    recent: Mutex<HashMap<(&'static str, ZoneKey), LastRecorded>>,
    budget: RateLimiter<()>,
}

type LastRecorded = (Instant, u64);

pub const REJECTIONS_RECORDED_PER_MINUTE: u32 = 60;
const RECORD_EVERY: Duration = Duration::from_secs(60);
const MAX_REMEMBERED: usize = 10_000;

impl RejectionLog {
    pub fn new(pool: Option<sqlx::PgPool>, tasks: crate::tasks::Tasks) -> Arc<Self> {
        Arc::new(Self {
            pool,
            tasks,
            recent: Mutex::new(HashMap::new()),
            budget: RateLimiter::new(sting_config::Rate::per_minute(REJECTIONS_RECORDED_PER_MINUTE)),
        })
    }

    /// Whether this refusal is to be recorded, and if so how many it stands for.
    fn due(&self, zone: &'static str, key: &ZoneKey, now: Instant) -> Option<u64> {
        let mut recent = self.recent.lock().expect("rejection log lock");
        if recent.len() >= MAX_REMEMBERED {
            recent.retain(|_, (at, _)| now.duration_since(*at) < RECORD_EVERY);
        }
        let entry = recent.entry((zone, key.clone())).or_insert((now.checked_sub(RECORD_EVERY)?, 0));
        entry.1 += 1;
        if now.duration_since(entry.0) < RECORD_EVERY || self.budget.check(&()).is_err() {
            return None;
        }
        entry.0 = now;
        Some(std::mem::take(&mut entry.1))
    }

    fn note(&self, zone: &'static str, key: &ZoneKey, actor: Option<Uuid>, wait: Duration) {
        tracing::debug!(zone, key = %key.target(), "rate limited");
        let Some(pool) = &self.pool else { return };
        let Some(refused) = self.due(zone, key, Instant::now()) else { return };
        tracing::warn!(zone, key = %key.target(), refused, "rate limit reached");
        let detail = serde_json::json!({ "zone": zone, "refused": refused, "retry_after_ms": wait.as_millis() as u64 });
        let (pool, target) = (pool.clone(), key.target());
        self.tasks.spawn(async move {
            if let Err(error) =
                crate::identity::audit::record(&pool, actor, "ratelimit.exceeded", Some(&target), detail).await
            {
                tracing::warn!(%error, "cannot record a rate-limit event in the audit log");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_match_their_addresses() {
        let net = Network::parse("10.0.0.0/24").unwrap();
        assert!(net.contains(ip("10.0.0.77")));
        assert!(!net.contains(ip("10.0.1.1")));
        assert!(Network::parse("127.0.0.1").unwrap().contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peers count");
        assert!(Network::parse("::1").unwrap().contains(ip("::1")));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("192.0.2.1")));
        assert!(
            Network::parse("10.0.0.0/33").is_none() || !Network::parse("10.0.0.0/33").unwrap().contains(ip("1.1.1.1"))
        );
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64_and_accounts_ignore_case() {
        assert_eq!(ZoneKey::address(ip("2001:db8:1:2::1")), ZoneKey::address(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(ZoneKey::address(ip("2001:db8:1:2::1")), ZoneKey::address(ip("2001:db8:1:3::1")));
        assert_eq!(ZoneKey::address(ip("2001:db8:1:2::1")).target(), "address:2001:db8:1:2::/64");
        assert_eq!(ZoneKey::address(ip("::ffff:192.0.2.7")), ZoneKey::address(ip("192.0.2.7")));
        assert_ne!(ZoneKey::address(ip("192.0.2.7")), ZoneKey::address(ip("192.0.2.8")));
        assert_eq!(ZoneKey::account(" Ann@Example.org"), ZoneKey::account("ann@example.org"));
        let ZoneKey::Account(long) = ZoneKey::account(&"a".repeat(10_000)) else { unreachable!() };
        assert_eq!(long.len(), 254);
    }

    #[test]
    fn refusals_are_recorded_once_a_minute_per_key_and_sparingly_in_all() {
        let log = RejectionLog::new(None, Default::default());
        let start = Instant::now() + RECORD_EVERY;
        let ann = ZoneKey::account("ann@example.org");
        assert_eq!(log.due("auth", &ann, start), Some(1), "the first refusal is recorded");
        assert_eq!(log.due("auth", &ann, start + Duration::from_secs(1)), None);
        assert_eq!(log.due("auth", &ann, start + Duration::from_secs(2)), None);
        assert_eq!(log.due("api", &ann, start), Some(1), "each zone on its own");
        assert_eq!(log.due("auth", &ann, start + RECORD_EVERY), Some(3), "a minute later, with the count since");
        // Many keys at once: no more than the budget is written.
        let recorded = (0..1000u32)
            .filter(|n| log.due("api", &ZoneKey::address(IpAddr::from(n.to_be_bytes())), start).is_some())
            .count();
        assert!((50..=REJECTIONS_RECORDED_PER_MINUTE as usize).contains(&recorded), "{recorded}");
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted = vec![Network::parse("10.0.0.0/24").unwrap()];
        // From an untrusted peer the header is ignored: no dodging limits by inventing it.
        assert_eq!(client_address(ip("192.0.2.9"), Some("203.0.113.5"), &trusted), ip("192.0.2.9"));
        // From a trusted proxy: the nearest untrusted hop.
        assert_eq!(client_address(ip("10.0.0.2"), Some("203.0.113.5"), &trusted), ip("203.0.113.5"));
        assert_eq!(
            client_address(ip("10.0.0.2"), Some("198.51.100.1, 203.0.113.5, 10.0.0.3"), &trusted),
            ip("203.0.113.5")
        );
        // A client cannot prepend its way past the proxy's own entry.
        assert_eq!(client_address(ip("10.0.0.2"), Some("1.2.3.4, 203.0.113.5"), &trusted), ip("203.0.113.5"));
        assert_eq!(client_address(ip("10.0.0.2"), Some("garbage"), &trusted), ip("10.0.0.2"));
        assert_eq!(client_address(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
    }
}
