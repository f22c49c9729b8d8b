//! Rate-limit zones by client address, as the original's nginx `limit_req_zone`s: `api` for
//! every API route, `ai` for the model routes, `auth` for sign-in (with the identity routes).
//! They run before authentication, so guessing keys is slowed like anything else.
//!
//! The client address is the connection's peer, unless that peer is a configured trusted
//! proxy: then the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
//! From anyone else the header is ignored, so it cannot be used to dodge a limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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

/// One zone: its limiter and the proxies whose forwarding headers count.
#[derive(Clone)]
pub struct Zone {
    pub name: &'static str,
    limiter: Arc<RateLimiter<IpAddr>>,
    trusted: Arc<Vec<Network>>,
}

impl Zone {
    pub fn new(name: &'static str, rate: sting_config::Rate, trusted: Arc<Vec<Network>>) -> Self {
        Self { name, limiter: Arc::new(RateLimiter::new(rate)), trusted }
    }
}

/// The middleware: 429 with `Retry-After` when the client's bucket in this zone is empty.
pub async fn limit(State(zone): State<Zone>, request: Request, next: Next) -> Response {
    limit_request(&zone, request, next).await
}

pub async fn limit_request(zone: &Zone, request: Request, next: Next) -> Response {
    let Some(ConnectInfo(PeerAddr(peer))) = request.extensions().get::<ConnectInfo<PeerAddr>>().copied() else {
        // Served without connection info: a programming error, refused rather than unlimited.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = client_address(peer.ip(), forwarded, &zone.trusted);
    match zone.limiter.check(&client) {
        Ok(()) => next.run(request).await,
        Err(wait) => ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limited",
                format!("too many requests from this address (zone `{}`)", zone.name),
            )
        }
        .into_response(),
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
