//! When to try again, and how long to wait: pure decisions, no I/O.
//!
//! **Which function answers are retried** (decision, docs/api.md §11.3):
//! * `429`, `502`, `503`, `504` — always: overload, unreachable replica, not ready, deadline.
//!   Whether the gateway or the function produced them, they mean "not now".
//! * `408` and `500` — only when the response carries `X-OpenFaaS-Internal` (a platform
//!   component produced it). A function's own 500 is its result: it is called back, not re-run,
//!   because re-running a function's bug repeats its side effects.
//! * A transport error (the gateway unreachable, reset, the worker's own timeout) — always.
//! * Anything else is final and is called back as it is.
//!
//! **Which callback answers are retried**: a 2xx means delivered; `408`, `429`, 5xx and transport
//! errors are retried; any other status (a 3xx — redirects are not followed — or 4xx) fails at
//! once, since sending the same request again will get the same answer.

use std::time::Duration;

use http::StatusCode;

/// An exponential backoff: `initial`, doubled after each failure, capped at `max`. No jitter:
/// retries of different messages are already spread by their different failure times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay after the `failures`-th failure (1-based; 0 is treated as 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.initial
            .checked_mul(1 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// How often to try, and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries, the first included (at least 1).
    pub max_attempts: u32,
    /// The waits between tries.
    pub backoff: Backoff,
}

/// What to do after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The outcome is final: go on with it.
    Done,
    /// Try again after this delay.
    RetryAfter(Duration),
    /// Retryable, but this was the last try.
    GiveUp,
}

impl RetryPolicy {
    /// The verdict after try number `attempt` (1-based) whose outcome was `retryable` or not.
    pub fn decide(&self, attempt: u32, retryable: bool) -> Verdict {
        if !retryable {
            Verdict::Done
        } else if attempt >= self.max_attempts.max(1) {
            Verdict::GiveUp
        } else {
            Verdict::RetryAfter(self.backoff.delay(attempt))
        }
    }
}

/// Whether a function answer with `status` is retried; `platform_error` says whether it carried
/// `X-OpenFaaS-Internal`. See the module doc.
pub fn is_retryable_function_status(status: StatusCode, platform_error: bool) -> bool {
    match status.as_u16() {
        429 | 502 | 503 | 504 => true,
        408 | 500 => platform_error,
        _ => false,
    }
}

/// What a callback answer with `status` means. See the module doc.
pub fn callback_outcome(status: StatusCode) -> CallbackOutcome {
    if status.is_success() {
        CallbackOutcome::Delivered
    } else if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        CallbackOutcome::Retryable
    } else {
        CallbackOutcome::Rejected
    }
}

/// The meaning of a callback receiver's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Accepted (2xx).
    Delivered,
    /// Try again later.
    Retryable,
    /// Refused for good.
    Rejected,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            initial: 100 * MS,
            max: 1000 * MS,
        };
        let got: Vec<_> = (0..7).map(|n| b.delay(n)).collect();
        assert_eq!(
            got,
            [100, 100, 200, 400, 800, 1000, 1000]
                .map(|n| n * MS)
                .to_vec()
        );
        assert_eq!(b.delay(u32::MAX), 1000 * MS);
        let huge = Backoff {
            initial: Duration::from_secs(u64::MAX / 2),
            max: Duration::from_secs(60),
        };
        assert_eq!(huge.delay(40), Duration::from_secs(60));
    }

    #[test]
    fn policy_retries_until_the_last_attempt() {
        let p = RetryPolicy {
            max_attempts: 3,
            backoff: Backoff {
                initial: 10 * MS,
                max: 15 * MS,
            },
        };
        assert_eq!(p.decide(1, true), Verdict::RetryAfter(10 * MS));
        assert_eq!(p.decide(2, true), Verdict::RetryAfter(15 * MS));
        assert_eq!(p.decide(3, true), Verdict::GiveUp);
        assert_eq!(p.decide(9, true), Verdict::GiveUp);
        assert_eq!(p.decide(1, false), Verdict::Done);
        assert_eq!(p.decide(3, false), Verdict::Done);
        let once = RetryPolicy {
            max_attempts: 0,
            ..p
        };
        assert_eq!(once.decide(1, true), Verdict::GiveUp);
    }

    #[test]
    fn function_statuses() {
        let s = |n| StatusCode::from_u16(n).unwrap();
        for n in [429, 502, 503, 504] {
            assert!(is_retryable_function_status(s(n), false), "{n}");
            assert!(is_retryable_function_status(s(n), true), "{n}");
        }
        for n in [408, 500] {
            assert!(!is_retryable_function_status(s(n), false), "{n}");
            assert!(is_retryable_function_status(s(n), true), "{n}");
        }
        for n in [200, 201, 204, 301, 400, 401, 404, 413, 501] {
            assert!(!is_retryable_function_status(s(n), true), "{n}");
        }
    }

    #[test]
    fn callback_statuses() {
        let s = |n| StatusCode::from_u16(n).unwrap();
        assert_eq!(callback_outcome(s(200)), CallbackOutcome::Delivered);
        assert_eq!(callback_outcome(s(204)), CallbackOutcome::Delivered);
        for n in [408, 429, 500, 502, 503] {
            assert_eq!(callback_outcome(s(n)), CallbackOutcome::Retryable, "{n}");
        }
        for n in [301, 400, 404, 410] {
            assert_eq!(callback_outcome(s(n)), CallbackOutcome::Rejected, "{n}");
        }
    }
}
