//! The most requests a client has on the wire at once
//! ([`TransportOptions::max_concurrent_requests`](cloudbase_core::TransportOptions)):
//! beyond it a call waits for a slot, so connections, sockets and buffers stay bounded
//! however many threads call.

use std::sync::{Condvar, Mutex};

/// A counting gate: [`InFlight::enter`] waits while `max` requests are out.
#[derive(Debug)]
pub(crate) struct InFlight {
    out: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// One request's slot; leaving frees it.
pub(crate) struct Slot<'a>(&'a InFlight);

impl InFlight {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            out: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// Waits for a free slot and takes it.
    pub(crate) fn enter(&self) -> Slot<'_> {
        let out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = self
            .freed
            .wait_while(out, |n| *n >= self.max)
            .unwrap_or_else(|p| p.into_inner());
        *out += 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut out = self.0.out.lock().unwrap_or_else(|p| p.into_inner());
        *out = out.saturating_sub(1);
        drop(out);
        self.0.freed.notify_one();
    }
}
