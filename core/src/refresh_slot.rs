//! The one session refresh a client may have in flight.

/// The one refresh a client may have in flight.
///
/// There is no time-based takeover: a second refresh beside a live one would present
/// a rotated refresh token twice, which the server answers with `invalid_grant`. The
/// slot is released when its owner finishes (adapters bound every attempt with
/// timeouts) or is dropped ([`ActiveCall`]'s guard).
#[derive(Debug, Default)]
pub(crate) struct RefreshSlot {
    /// The ticket of the refresh in flight.
    pub(crate) current: Option<u64>,
    /// Moves on every start and finish; waiters wait for it to move.
    pub(crate) generation: u64,
}

impl RefreshSlot {
    pub(crate) fn in_flight(&self) -> bool {
        self.current.is_some()
    }

    pub(crate) fn start(&mut self) -> u64 {
        self.generation += 1;
        self.current = Some(self.generation);
        self.generation
    }

    pub(crate) fn finish(&mut self, ticket: u64) {
        if self.current == Some(ticket) {
            self.current = None;
            self.generation += 1;
        }
    }
}
