//! Per-caller rate limits: a token bucket per API key (`llm.key_rate_limit`), refilled
//! continuously, so a burst up to the rate is allowed and a steady stream above it is not.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::callers::Caller;

pub struct KeyRateLimit {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<Caller, (f64, Instant)>>,
}

impl KeyRateLimit {
    pub fn new(rate: sting_config::Rate) -> Self {
        let capacity = f64::from(rate.requests);
        Self { capacity, per_second: capacity / rate.per.as_secs_f64(), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token, or says how long until one is there.
    pub fn check(&self, caller: &Caller) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        let (tokens, last) = buckets.entry(caller.clone()).or_insert((self.capacity, now));
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
    fn a_burst_up_to_the_rate_passes_then_the_caller_waits_and_others_do_not() {
        let limit = KeyRateLimit::new(sting_config::Rate::per_second(3));
        let a = Caller { id: "a".into() };
        let b = Caller { id: "b".into() };
        for _ in 0..3 {
            assert!(limit.check(&a).is_ok());
        }
        let wait = limit.check(&a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(334), "{wait:?}");
        assert!(limit.check(&b).is_ok(), "buckets are per caller");
        std::thread::sleep(Duration::from_millis(400));
        assert!(limit.check(&a).is_ok());
    }
}
