//! Standard retry mode, as in botocore and the JS/Rust SDKs (spec §4.3): transient and throttling
//! errors are retried with exponential backoff and full jitter, under a shared retry quota.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::error::Error;

/// Retry settings.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryConfig {
    max_attempts: u32,
    initial_backoff: Duration,
    /// The base for throttling errors, when it differs (botocore: 1 s against 50 ms).
    throttling_backoff: Option<Duration>,
    max_backoff: Duration,
    pub(crate) quota: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryConfig {
    /// Standard mode: 3 attempts, backoff `rand() * min(1 s × 2^(n-1), 20 s)`, retry quota on.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            throttling_backoff: None,
            max_backoff: Duration::from_secs(20),
            quota: true,
        }
    }

    /// No retries: one attempt.
    pub fn disabled() -> Self {
        Self::standard().with_max_attempts(1)
    }

    /// Attempts in total, including the first (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The base of the exponential backoff (1 s by default).
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The base of the backoff after a throttling error, when it should differ from the
    /// initial backoff (as botocore's standard mode: 1 s for throttling, 50 ms otherwise).
    pub fn with_throttling_backoff(mut self, backoff: Duration) -> Self {
        self.throttling_backoff = Some(backoff);
        self
    }

    /// The cap of one backoff (20 s by default).
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Turns the retry quota (token bucket) on or off.
    pub fn with_retry_quota(mut self, on: bool) -> Self {
        self.quota = on;
        self
    }

    /// Attempts in total.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The base of the backoff after a non-throttling error.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The delay before retry number `retry` (1 for the first retry), with full jitter.
    pub(crate) fn backoff(&self, retry: u32, kind: RetryKind) -> Duration {
        let base = match (kind, self.throttling_backoff) {
            (RetryKind::Throttling, Some(base)) => base,
            _ => self.initial_backoff,
        };
        let exp = base.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        exp.min(self.max_backoff).mul_f64(fastrand::f64())
    }
}

/// Why an error may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryKind {
    /// 500/502/503/504, transient codes, connection errors.
    Transient,
    /// A throttling code.
    Throttling,
    /// An attempt timed out.
    Timeout,
}

/// Throttling codes of botocore's standard mode.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
];
const TRANSIENT_STATUS: &[u16] = &[500, 502, 503, 504];

/// How the standard mode treats an error of an operation that models `operation_errors`;
/// `None` means it is not retried. Like botocore, a 429 counts as throttling unless its code is
/// an error the operation models.
pub fn classify(error: &Error, operation_errors: &[&str]) -> Option<RetryKind> {
    match error {
        Error::Transport(_) => Some(RetryKind::Transient),
        Error::Timeout(_) => Some(RetryKind::Timeout),
        Error::InvalidInput(_)
        | Error::Construction(_)
        | Error::Credentials(_)
        | Error::InvalidResponse(_) => None,
        service => {
            let code = service.code();
            let status = service.http_status();
            if THROTTLING_CODES.contains(&code)
                || (status == Some(429) && !operation_errors.contains(&code))
            {
                Some(RetryKind::Throttling)
            } else if TRANSIENT_CODES.contains(&code)
                || status.is_some_and(|s| TRANSIENT_STATUS.contains(&s))
            {
                Some(RetryKind::Transient)
            } else {
                None
            }
        }
    }
}

const QUOTA_CAPACITY: u32 = 500;
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;
const NO_RETRY_INCREMENT: u32 = 1;

/// The retry quota shared by all calls of one client: retries spend tokens, successes refund.
#[derive(Clone, Debug)]
pub(crate) struct RetryQuota {
    tokens: Arc<AtomicU32>,
}

impl Default for RetryQuota {
    fn default() -> Self {
        Self {
            tokens: Arc::new(AtomicU32::new(QUOTA_CAPACITY)),
        }
    }
}

impl RetryQuota {
    /// Takes the cost of one retry; `None` when the quota is spent.
    pub(crate) fn acquire(&self, kind: RetryKind) -> Option<u32> {
        let cost = if kind == RetryKind::Timeout {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .ok()
            .map(|_| cost)
    }

    /// A success refunds what its retries took, or one token when it needed none.
    pub(crate) fn release(&self, spent: u32) {
        let refund = if spent == 0 {
            NO_RETRY_INCREMENT
        } else {
            spent
        };
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some((t + refund).min(QUOTA_CAPACITY))
            });
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_runs_out_and_refills() {
        let quota = RetryQuota::default();
        let mut retries = 0;
        while quota.acquire(RetryKind::Transient).is_some() {
            retries += 1;
        }
        assert_eq!(retries, QUOTA_CAPACITY / RETRY_COST);
        assert_eq!(quota.acquire(RetryKind::Timeout), None);
        quota.release(RETRY_COST);
        assert_eq!(quota.available(), RETRY_COST);
        quota.release(0);
        assert_eq!(quota.available(), RETRY_COST + 1);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let cfg = RetryConfig::standard();
        for retry in 1..40 {
            let cap = Duration::from_secs(1 << (retry - 1).min(5)).min(Duration::from_secs(20));
            let d = cfg.backoff(retry, RetryKind::Transient);
            assert!(d <= cap, "retry {retry}: {d:?} > {cap:?}");
        }
        let spread: std::collections::HashSet<_> = (0..20)
            .map(|_| cfg.backoff(3, RetryKind::Transient))
            .collect();
        assert!(spread.len() > 10, "full jitter should spread delays");
    }

    #[test]
    fn throttling_errors_back_off_from_their_own_base_when_set() {
        let cfg = RetryConfig::standard()
            .with_initial_backoff(Duration::from_millis(50))
            .with_throttling_backoff(Duration::from_secs(1));
        let most = |kind| (0..200).map(|_| cfg.backoff(1, kind)).max().unwrap();
        assert!(most(RetryKind::Transient) <= Duration::from_millis(50));
        assert!(most(RetryKind::Throttling) > Duration::from_millis(100));
        let same = RetryConfig::standard().with_initial_backoff(Duration::from_millis(50));
        assert!(same.backoff(1, RetryKind::Throttling) <= Duration::from_millis(50));
    }
}
