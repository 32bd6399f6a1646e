//! The most requests a client has on the wire at once
//! ([`TransportOptions::max_concurrent_requests`](cloudbase_core::TransportOptions)):
//! beyond it a call waits for a slot, so connections, sockets and buffers stay bounded
//! however many tasks call.
//!
//! The count is the core's (no lock per call: tokio's `Semaphore` locks its waiter
//! list on every release, a lock the runtime's workers contended for on every call);
//! a caller that must wait registers with a `Notify`, and a freed slot notifies only
//! when one waits.

use cloudbase_core::in_flight::InFlightCount;
use tokio::sync::Notify;

/// A counting gate: [`InFlight::enter`] waits while every slot is out.
#[derive(Debug)]
pub(crate) struct InFlight {
    count: InFlightCount,
    freed: Notify,
}

/// One request's slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a InFlight);

impl InFlight {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            count: InFlightCount::new(max),
            freed: Notify::new(),
        }
    }

    /// Waits for a free slot and takes it. Cancel-safe: a dropped wait takes nothing
    /// (a slot taken at once is held by the future, and freed with it).
    ///
    /// A free slot is taken at once; only a caller that must wait builds the waiting
    /// future, boxed, so the common path adds a few bytes to the exchange's future.
    pub(crate) fn enter(&self) -> impl Future<Output = Slot<'_>> {
        let taken = self.count.try_take().then(|| Slot(self));
        async move {
            match taken {
                Some(slot) => slot,
                None => Box::pin(self.wait()).await,
            }
        }
    }

    async fn wait(&self) -> Slot<'_> {
        if self.count.try_take() {
            return Slot(self);
        }
        self.count.start_waiting();
        let _counted = Waiting(self);
        loop {
            // Registered before the check: a slot freed after it notifies this wait.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.count.try_take() {
                return Slot(self);
            }
            freed.await;
        }
    }
}

/// Uncounts a waiter however its wait ends (a slot, or the future dropped).
struct Waiting<'a>(&'a InFlight);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.count.stop_waiting();
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if self.0.count.release() {
            self.0.freed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_freed_slot_lets_a_waiting_caller_in() {
        let gate = std::sync::Arc::new(InFlight::new(1));
        let first = gate.enter().await;
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _slot = gate.enter().await;
            })
        };
        // Yield until the waiter waits; it cannot be in while the only slot is out.
        while gate.count.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!waiter.is_finished());
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .expect("the waiter got the slot")
            .expect("joined");
        assert_eq!(gate.count.out(), 0);
        assert_eq!(gate.count.waiting(), 0);
    }

    #[tokio::test]
    async fn a_dropped_wait_takes_no_slot() {
        let gate = InFlight::new(1);
        let first = gate.enter().await;
        // Polled once (no slot: pending), then dropped.
        assert!(futures_util::FutureExt::now_or_never(gate.enter()).is_none());
        assert_eq!(gate.count.waiting(), 0);
        drop(first);
        assert_eq!(gate.count.out(), 0);
        let _again = gate.enter().await;
        assert_eq!(gate.count.out(), 1);
    }
}
