//! Validated credentials kept in memory, so that an authenticated request costs a hash and a
//! map lookup instead of a PostgreSQL round trip.
//!
//! Why it can be trusted: PostgreSQL triggers (migration 0005) send a notification naming the
//! user whenever one of that user's sessions or tokens is revoked, rotated or expires early, or
//! the user is disabled, deleted or changes role. Every stingd listens and forgets that user's
//! entries. While the listening connection is down (the database restarting, say) nothing is
//! served from memory, and the cache starts empty when it comes back, since notifications sent
//! meanwhile are lost. An entry lives at most [`MAX_AGE`] in any case.
//!
//! The race that remains is closed with an epoch: a lookup notes the epoch before it asks the
//! database, and its answer is kept only if no invalidation happened meanwhile. Otherwise a
//! request that read a session just before its revocation could store it just after.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::credential::Credential;

/// The notification channel the triggers of migration 0005 use.
pub const CHANNEL: &str = "sting_credentials";
/// The longest an entry is believed without asking the database again.
pub const MAX_AGE: Duration = Duration::from_secs(15);
/// Entries kept at most; past it new credentials are not cached (the database still answers).
const CAPACITY: usize = 100_000;

struct Entry {
    credential: Credential,
    until: Instant,
}

/// Proof that a lookup began at a known epoch while the cache was live.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

pub struct CredentialCache {
    /// Keyed by the credential's hash (what the database stores), never the secret itself.
    entries: RwLock<HashMap<Vec<u8>, Entry>>,
    epoch: AtomicU64,
    live: AtomicBool,
    max_age: Duration,
}

impl CredentialCache {
    /// A cache that serves nothing until [`CredentialCache::listen`] is connected.
    pub fn new(max_age: Duration) -> Arc<Self> {
        Arc::new(Self {
            entries: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
            max_age,
        })
    }

    /// The credential for `key`, if cached and still fresh.
    pub fn get(&self, key: &[u8]) -> Option<Credential> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().expect("credential cache lock");
        let entry = entries.get(key)?;
        (entry.until > Instant::now()).then(|| entry.credential.clone())
    }

    /// Taken before asking the database; `None` while invalidations cannot be heard.
    pub fn ticket(&self) -> Option<Ticket> {
        self.live.load(Ordering::Acquire).then(|| Ticket(self.epoch.load(Ordering::Acquire)))
    }

    /// Keeps what the database said, unless anything was invalidated since `ticket`.
    /// `valid_for` is how long the database says the credential lives (absolute expiry).
    pub fn put(&self, ticket: Ticket, key: Vec<u8>, credential: Credential, valid_for: Option<Duration>) {
        let max_age = valid_for.map_or(self.max_age, |v| v.min(self.max_age));
        let mut entries = self.entries.write().expect("credential cache lock");
        // Checked under the write lock: an invalidation takes the same lock after bumping.
        if self.epoch.load(Ordering::Acquire) != ticket.0 || !self.live.load(Ordering::Acquire) {
            return;
        }
        if entries.len() >= CAPACITY {
            let now = Instant::now();
            entries.retain(|_, e| e.until > now);
            if entries.len() >= CAPACITY {
                return;
            }
        }
        entries.insert(key, Entry { credential, until: Instant::now() + max_age });
    }

    /// Forgets every credential of `user`.
    pub fn forget_user(&self, user: Uuid) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.write().expect("credential cache lock").retain(|_, e| e.credential.user() != user);
    }

    /// Forgets one credential (a signed-out session).
    pub fn forget(&self, key: &[u8]) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.write().expect("credential cache lock").remove(key);
    }

    /// Forgets everything (every session revoked, or notifications possibly missed).
    pub fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.write().expect("credential cache lock").clear();
    }

    fn set_live(&self, live: bool) {
        if !live {
            self.live.store(false, Ordering::Release);
        }
        self.forget_all();
        if live {
            self.live.store(true, Ordering::Release);
        }
    }

    /// Whether entries are being served (the notification connection is up).
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// Applies one notification's payload: a user id, or `*` for everyone.
    fn apply(&self, payload: &str) {
        match payload.parse::<Uuid>() {
            Ok(user) => self.forget_user(user),
            Err(_) => self.forget_all(),
        }
    }

    /// Listens for invalidations until the process ends, reconnecting with backoff. Runs as
    /// its own task; the cache is live only while this holds a connection.
    pub async fn listen(self: Arc<Self>, pool: PgPool) {
        let mut delay = Duration::from_millis(100);
        loop {
            match subscribe(&pool).await {
                Ok(mut listener) => {
                    self.set_live(true);
                    delay = Duration::from_millis(100);
                    tracing::debug!("credential cache live");
                    // `try_recv` gives `Ok(None)` when the connection drops: notifications may
                    // have been missed, so stop serving and start again from empty.
                    while let Ok(Some(notification)) = listener.try_recv().await {
                        self.apply(notification.payload());
                    }
                    self.set_live(false);
                    tracing::warn!("lost the database's credential notifications; checking every request until back");
                }
                Err(error) => {
                    tracing::debug!(%error, "cannot listen for credential notifications yet");
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

/// Reconnecting inside `try_recv` would keep the cache live while it waits for the database:
/// the listener reports the loss at once, and the cache reconnects here instead.
async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    crate::db::listen(pool, CHANNEL).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::credential::{Aal, Session};
    use crate::identity::users::Role;

    fn session(user: Uuid) -> Credential {
        Credential::Session(Session { user, email: "a@example.org".into(), role: Role::User, aal: Aal::One })
    }

    fn live_cache() -> Arc<CredentialCache> {
        let cache = CredentialCache::new(Duration::from_secs(60));
        cache.set_live(true);
        cache
    }

    #[test]
    fn nothing_is_served_or_kept_until_invalidations_can_be_heard() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        assert!(cache.ticket().is_none());
        cache.set_live(true);
        let ticket = cache.ticket().unwrap();
        cache.put(ticket, b"k".to_vec(), session(Uuid::nil()), None);
        assert!(cache.get(b"k").is_some());
        cache.set_live(false);
        assert!(cache.get(b"k").is_none(), "a dropped listener stops serving at once");
        cache.set_live(true);
        assert!(cache.get(b"k").is_none(), "and comes back empty");
    }

    #[test]
    fn a_lookup_that_raced_an_invalidation_is_not_kept() {
        let cache = live_cache();
        let user = Uuid::new_v4();
        let ticket = cache.ticket().unwrap();
        // The database answered "valid", then the user was disabled before the answer was stored.
        cache.forget_user(user);
        cache.put(ticket, b"k".to_vec(), session(user), None);
        assert!(cache.get(b"k").is_none());
    }

    #[test]
    fn forgetting_a_user_keeps_everyone_else() {
        let cache = live_cache();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(cache.ticket().unwrap(), b"a".to_vec(), session(a), None);
        cache.put(cache.ticket().unwrap(), b"b".to_vec(), session(b), None);
        cache.apply(&a.to_string());
        assert!(cache.get(b"a").is_none());
        assert!(cache.get(b"b").is_some());
        cache.apply("*");
        assert!(cache.get(b"b").is_none());
    }

    #[test]
    fn an_entry_never_outlives_its_credential() {
        let cache = live_cache();
        cache.put(cache.ticket().unwrap(), b"k".to_vec(), session(Uuid::nil()), Some(Duration::ZERO));
        assert!(cache.get(b"k").is_none());
    }
}
