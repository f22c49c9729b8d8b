//! Rate limits: a token bucket per key, refilled continuously, so a burst up to the rate passes
//! and a steady stream above it does not. Keyed by API key (`llm.key_rate_limit`) or by client
//! address (the zones of `auth.rate_limits`). Memory stays bounded: when the table grows past
//! its cap, buckets that are full again (indistinguishable from new ones) are dropped.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_BUCKETS: usize = 100_000;

pub struct RateLimiter<K> {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    pub fn new(rate: sting_config::Rate) -> Self {
        let capacity = f64::from(rate.requests);
        Self { capacity, per_second: capacity / rate.per.as_secs_f64(), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token, or says how long until one is there.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            let (capacity, per_second) = (self.capacity, self.per_second);
            buckets
                .retain(|_, (tokens, last)| *tokens + now.duration_since(*last).as_secs_f64() * per_second < capacity);
        }
        let (tokens, last) = buckets.entry(key.clone()).or_insert((self.capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_up_to_the_rate_passes_then_the_key_waits_and_others_do_not() {
        let limit = RateLimiter::new(sting_config::Rate::per_second(3));
        for _ in 0..3 {
            assert!(limit.check(&"a").is_ok());
        }
        let wait = limit.check(&"a").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(334), "{wait:?}");
        assert!(limit.check(&"b").is_ok(), "buckets are per key");
        std::thread::sleep(Duration::from_millis(400));
        assert!(limit.check(&"a").is_ok());
    }
}
