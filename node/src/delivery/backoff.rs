//! When to try a failing host again: exponential back-off with jitter, and "down" after two
//! days of failures.

use crate::db::queue::HostState;

/// First retry delay.
pub const BASE_MS: i64 = 30_000;
/// Longest wait between two attempts.
pub const MAX_DELAY_MS: i64 = 6 * 3_600_000;
/// A host failing for this long is marked down and its queue dropped.
pub const DOWN_AFTER_MS: i64 = 48 * 3_600_000;
/// How often a down host is probed.
pub const PROBE_EVERY_MS: i64 = 24 * 3_600_000;

/// The delay before attempt `failures + 1`, `jitter` in [0, 1): 30 s, 1 min, 2 min… capped at
/// 6 h, each ±25 %.
pub fn delay_ms(failures: i64, jitter: f64) -> i64 {
    let exp = (failures.max(1) - 1).min(20) as u32;
    let base = BASE_MS.saturating_mul(1i64 << exp).min(MAX_DELAY_MS);
    (base as f64 * (0.75 + 0.5 * jitter)) as i64
}

/// The state after a failed attempt at `now`; `down` tells whether the host just went down.
pub fn after_failure(s: &HostState, now: i64, jitter: f64) -> (HostState, bool) {
    let failing_since = s.failing_since.unwrap_or(now);
    let failures = s.failures + 1;
    if now - failing_since >= DOWN_AFTER_MS {
        let next = HostState {
            failures,
            failing_since: Some(failing_since),
            next_attempt_at: now + PROBE_EVERY_MS,
            down_since: Some(now),
        };
        return (next, true);
    }
    (
        HostState {
            failures,
            failing_since: Some(failing_since),
            next_attempt_at: now + delay_ms(failures, jitter),
            down_since: None,
        },
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_then_cap() {
        assert_eq!(delay_ms(1, 0.5), 30_000);
        assert_eq!(delay_ms(2, 0.5), 60_000);
        assert_eq!(delay_ms(5, 0.5), 480_000);
        assert_eq!(delay_ms(30, 0.5), MAX_DELAY_MS);
        assert_eq!(delay_ms(1, 0.0), 22_500);
        assert!(delay_ms(1, 0.999) < 37_500);
    }

    #[test]
    fn a_host_failing_for_two_days_goes_down() {
        let mut s = HostState::default();
        let start = 1_000_000;
        let mut now = start;
        let mut attempts = 0;
        loop {
            let (next, down) = after_failure(&s, now, 0.5);
            attempts += 1;
            if down {
                assert!(now - start >= DOWN_AFTER_MS);
                assert_eq!(next.next_attempt_at, now + PROBE_EVERY_MS);
                break;
            }
            now = next.next_attempt_at;
            s = next;
        }
        assert!(
            (15..25).contains(&attempts),
            "{attempts} attempts over two days"
        );
    }
}
