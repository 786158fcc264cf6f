//! Token-bucket rate limits keyed by IP address or channel, pure: the caller passes the clock.
//! Memory is bounded: when the table is full, buckets that have refilled completely (clients
//! gone quiet) are forgotten first, and if none has, the new key is refused rather than
//! growing the table, so a flood of source addresses cannot exhaust memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// A rate: `per_second` sustained, bursts up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    /// `per_second` sustained with a burst of twice that (at least 1).
    pub fn per_second(n: u32) -> Rate {
        Rate {
            per_second: f64::from(n),
            burst: (2.0 * f64::from(n)).max(1.0),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
pub struct RateLimiter<K> {
    rate: Rate,
    max_keys: usize,
    buckets: HashMap<K, Bucket>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(rate: Rate, max_keys: usize) -> RateLimiter<K> {
        RateLimiter {
            rate,
            max_keys: max_keys.max(1),
            buckets: HashMap::new(),
        }
    }

    /// Takes one token for `key`; `Err(wait)` says how long until one is available.
    pub fn check(&mut self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.rate.per_second <= 0.0 {
            return Ok(());
        }
        if !self.buckets.contains_key(key) && self.buckets.len() >= self.max_keys {
            self.forget_idle(now);
            if self.buckets.len() >= self.max_keys {
                return Err(Duration::from_secs(1));
            }
        }
        let rate = self.rate;
        let b = self.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: rate.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate.per_second).min(rate.burst);
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / rate.per_second;
            Err(Duration::from_secs_f64(wait.clamp(0.001, 3600.0)))
        }
    }

    /// How long until `key` has a token again, without taking one; `None` when it has one now.
    pub fn waiting(&self, key: &K, now: Instant) -> Option<Duration> {
        let b = self.buckets.get(key)?;
        let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
        let tokens = (b.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        (tokens < 1.0 && self.rate.per_second > 0.0).then(|| {
            let wait = (1.0 - tokens) / self.rate.per_second;
            Duration::from_secs_f64(wait.clamp(0.001, 3600.0))
        })
    }

    /// Drops buckets that would be full by now: forgetting them changes nothing.
    fn forget_idle(&mut self, now: Instant) {
        let rate = self.rate;
        self.buckets.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
            b.tokens + elapsed * rate.per_second < rate.burst
        });
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// The `Retry-After` value (whole seconds, at least 1) for a wait.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_then_refill() {
        let mut l = RateLimiter::new(
            Rate {
                per_second: 10.0,
                burst: 3.0,
            },
            100,
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(&"a", t0).is_ok());
        }
        let wait = l.check(&"a", t0).unwrap_err();
        assert!(
            wait <= Duration::from_millis(101) && wait >= Duration::from_millis(99),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert!(l.check(&"b", t0).is_ok());
        // 100 ms later one token is back, not two.
        let t1 = t0 + Duration::from_millis(100);
        assert!(l.check(&"a", t1).is_ok());
        assert!(l.check(&"a", t1).is_err());
    }

    #[test]
    fn table_is_bounded_and_idle_keys_are_forgotten() {
        let mut l = RateLimiter::new(Rate::per_second(1), 2);
        let t0 = Instant::now();
        assert!(l.check(&1, t0).is_ok());
        assert!(l.check(&2, t0).is_ok());
        // Full of active keys: a third is refused, not added.
        assert!(l.check(&3, t0).is_err());
        assert_eq!(l.len(), 2);
        // Once the others have refilled they are forgotten and room is made.
        let later = t0 + Duration::from_secs(10);
        assert!(l.check(&3, later).is_ok());
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let mut l = RateLimiter::new(Rate::per_second(0), 1);
        let t = Instant::now();
        for k in 0..100 {
            assert!(l.check(&k, t).is_ok());
        }
        assert!(l.is_empty());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2100)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
