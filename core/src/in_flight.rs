//! The count behind both adapters' bound on requests in flight
//! ([`TransportOptions::max_concurrent_requests`](crate::TransportOptions)): a call
//! takes and frees its slot with one atomic operation, no lock. Each adapter adds only
//! its way of waiting (a condvar for threads, a `Notify` for tasks), so both bound
//! the same way. (A lock per call was contended by every thread or worker: the
//! blocking gate's mutex, tokio's `Semaphore`, which locks its waiter list on every
//! release.)

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// Requests out, and callers waiting for a slot.
#[derive(Debug)]
pub struct InFlightCount {
    out: AtomicUsize,
    waiting: AtomicUsize,
    max: usize,
}

impl InFlightCount {
    /// At most `max` out at once (at least 1).
    ///
    /// ```
    /// use cloudbase_core::in_flight::InFlightCount;
    /// let count = InFlightCount::new(1);
    /// assert!(count.try_take());
    /// assert!(!count.try_take());
    /// assert!(!count.release(), "nobody waits: no signal needed");
    /// assert!(count.try_take());
    /// ```
    pub fn new(max: usize) -> Self {
        Self {
            out: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            max: max.max(1),
        }
    }

    /// Takes a slot if one is free.
    pub fn try_take(&self) -> bool {
        self.out
            .fetch_update(SeqCst, SeqCst, |n| (n < self.max).then_some(n + 1))
            .is_ok()
    }

    /// Frees a slot; `true` when a caller waits and must be signalled.
    pub fn release(&self) -> bool {
        self.out.fetch_sub(1, SeqCst);
        self.waiting.load(SeqCst) > 0
    }

    /// Counts a caller about to wait. Call it before the last [`try_take`] that
    /// precedes the wait, so a slot freed in between signals it.
    ///
    /// [`try_take`]: InFlightCount::try_take
    pub fn start_waiting(&self) {
        self.waiting.fetch_add(1, SeqCst);
    }

    /// Uncounts a caller that stopped waiting (it got a slot, or gave up).
    pub fn stop_waiting(&self) {
        self.waiting.fetch_sub(1, SeqCst);
    }

    /// Whether every slot is out.
    pub fn is_full(&self) -> bool {
        self.out.load(SeqCst) >= self.max
    }

    /// Requests out now.
    pub fn out(&self) -> usize {
        self.out.load(SeqCst)
    }

    /// Callers waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(SeqCst)
    }
}
