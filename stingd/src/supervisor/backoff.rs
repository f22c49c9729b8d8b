//! When to restart a crashed model, and when to stop trying: exponential backoff with jitter,
//! and a crash loop (too many crashes in a window) that puts the model in `failed`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct RestartPolicy {
    /// The delay after the first crash; it doubles with each crash in the window.
    pub base: Duration,
    pub max: Duration,
    /// This many crashes within `window` is a crash loop.
    pub max_crashes: usize,
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
            max_crashes: 5,
            window: Duration::from_secs(120),
        }
    }
}

/// What to do after a crash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    RestartAfter(Duration),
    CrashLoop { crashes: usize },
}

/// The crash history of one replica.
#[derive(Debug, Default)]
pub struct CrashHistory {
    crashes: VecDeque<Instant>,
}

impl CrashHistory {
    pub fn record(&mut self, now: Instant, policy: &RestartPolicy) -> Verdict {
        while self.crashes.front().is_some_and(|t| now.duration_since(*t) > policy.window) {
            self.crashes.pop_front();
        }
        self.crashes.push_back(now);
        let n = self.crashes.len();
        if n >= policy.max_crashes {
            return Verdict::CrashLoop { crashes: n };
        }
        let exp = policy.base.saturating_mul(1u32 << (n - 1).min(16) as u32).min(policy.max);
        Verdict::RestartAfter(jitter(exp))
    }
}

/// ±25%, so replicas that crashed together do not restart in lockstep.
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let r = getrandom::fill(&mut b).map(|_| u16::from_le_bytes(b)).unwrap_or(0) as f64 / f64::from(u16::MAX);
    d.mul_f64(0.75 + 0.5 * r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_with_jitter_then_a_crash_loop_is_declared() {
        let policy = RestartPolicy::default();
        let mut history = CrashHistory::default();
        let t0 = Instant::now();
        let mut delays = Vec::new();
        for i in 0..4 {
            match history.record(t0 + Duration::from_secs(i), &policy) {
                Verdict::RestartAfter(d) => delays.push(d),
                other => panic!("crash {i}: {other:?}"),
            }
        }
        for (i, d) in delays.iter().enumerate() {
            let nominal = policy.base * (1 << i);
            assert!(*d >= nominal.mul_f64(0.75) && *d <= nominal.mul_f64(1.25), "crash {i}: {d:?}");
        }
        assert_eq!(history.record(t0 + Duration::from_secs(5), &policy), Verdict::CrashLoop { crashes: 5 });
    }

    #[test]
    fn old_crashes_leave_the_window() {
        let policy = RestartPolicy { max_crashes: 2, ..Default::default() };
        let mut history = CrashHistory::default();
        let t0 = Instant::now();
        assert!(matches!(history.record(t0, &policy), Verdict::RestartAfter(_)));
        assert!(matches!(history.record(t0 + policy.window * 2, &policy), Verdict::RestartAfter(_)));
    }
}
