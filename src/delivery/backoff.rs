//! Retry policy: exponential backoff with full jitter, bounded by attempts and by age.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    /// A delivery older than this (since acceptance) is dead-lettered instead of retried.
    pub max_age: Duration,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 12,
            max_age: Duration::from_secs(48 * 3600),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(600),
        }
    }
}

/// What to do after a failed attempt that may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    RetryAfter(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// The ceiling of the backoff window after `attempts` failed attempts (1-based).
    pub fn backoff_ceiling(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff)
    }

    /// Full jitter (uniform in `[0, ceiling]`) spreads retries of many deliveries that failed
    /// together; a receiver's `Retry-After` is a floor we honour, never shorten.
    pub fn decide(
        &self,
        attempts: u32,
        age: Duration,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> RetryDecision {
        if attempts >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let ceiling = self.backoff_ceiling(attempts);
        let jittered = Duration::from_secs_f64(rng.random::<f64>() * ceiling.as_secs_f64());
        let delay = match retry_after {
            Some(floor) => jittered.max(floor),
            None => jittered,
        };
        if age.saturating_add(delay) > self.max_age {
            return RetryDecision::GiveUp;
        }
        RetryDecision::RetryAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            max_age: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        }
    }

    #[test]
    fn ceiling_grows_exponentially_up_to_the_maximum() {
        let p = policy();
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(4), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(5), Duration::from_secs(1));
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn delays_stay_inside_the_jitter_window() {
        let p = policy();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..200 {
            match p.decide(3, Duration::ZERO, None, &mut rng) {
                RetryDecision::RetryAfter(delay) => {
                    assert!(delay <= p.backoff_ceiling(3));
                    distinct.insert(delay);
                }
                RetryDecision::GiveUp => panic!("attempt 3 of 5 must be retried"),
            }
        }
        assert!(distinct.len() > 100, "jitter must spread the delays");
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = policy();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let decision = p.decide(1, Duration::ZERO, Some(Duration::from_secs(7)), &mut rng);
        assert_eq!(decision, RetryDecision::RetryAfter(Duration::from_secs(7)));
    }

    #[test]
    fn gives_up_after_max_attempts_or_max_age() {
        let p = policy();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            p.decide(5, Duration::ZERO, None, &mut rng),
            RetryDecision::GiveUp
        );
        assert_eq!(
            p.decide(
                1,
                Duration::from_secs(59),
                Some(Duration::from_secs(2)),
                &mut rng
            ),
            RetryDecision::GiveUp
        );
    }
}
