//! Auth events as a bounded queue: what both clients' `auth_events()` read from.
//!
//! A slow reader does not make memory grow: past the capacity the oldest event is
//! dropped and counted, and the reader is told how many it missed before it gets the
//! next one. The queue closes (and its listener unsubscribes) when the reader is
//! dropped.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::Waker;

use crate::session::AuthEvent;

/// Events kept for a reader that has not read them yet.
pub const DEFAULT_CAPACITY: usize = 64;

/// One item of an event stream.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AuthEventItem {
    /// The next event.
    Event(AuthEvent),
    /// The reader fell behind: this many events were dropped (the oldest first)
    /// before the events that follow.
    Lagged {
        /// How many.
        missed: u64,
    },
}

#[derive(Default)]
struct State {
    items: VecDeque<AuthEvent>,
    missed: u64,
    waker: Option<Waker>,
    reader_gone: bool,
}

/// The queue between the client's listener and one reader.
pub struct EventQueue {
    state: Mutex<State>,
    arrived: Condvar,
    capacity: usize,
}

impl std::fmt::Debug for EventQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl EventQueue {
    /// A queue keeping at most `capacity` unread events (at least one).
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            capacity: capacity.max(1),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an event (the listener's side); `false` once the reader is gone, which
    /// unsubscribes the listener.
    pub fn push(&self, event: &AuthEvent) -> bool {
        let waker = {
            let mut st = self.lock();
            if st.reader_gone {
                return false;
            }
            if st.items.len() >= self.capacity {
                st.items.pop_front();
                st.missed = st.missed.saturating_add(1);
            }
            st.items.push_back(event.clone());
            st.waker.take()
        };
        self.arrived.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    fn take(st: &mut State) -> Option<AuthEventItem> {
        if st.missed > 0 {
            return Some(AuthEventItem::Lagged {
                missed: std::mem::take(&mut st.missed),
            });
        }
        st.items.pop_front().map(AuthEventItem::Event)
    }

    /// The next item, if one is waiting.
    pub fn try_pop(&self) -> Option<AuthEventItem> {
        Self::take(&mut self.lock())
    }

    /// The next item, or `None` after registering `waker` to be woken when one
    /// arrives (an async reader's `poll_next`).
    pub fn pop_or_register(&self, waker: &Waker) -> Option<AuthEventItem> {
        let mut st = self.lock();
        let item = Self::take(&mut st);
        if item.is_none() {
            st.waker = Some(waker.clone());
        }
        item
    }

    /// The next item, waiting for one (a blocking reader). Events keep coming as
    /// long as the client lives, so this waits until one does.
    pub fn pop_wait(&self) -> AuthEventItem {
        let mut st = self.lock();
        loop {
            if let Some(item) = Self::take(&mut st) {
                return item;
            }
            st = self.arrived.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The reader is gone: the next event unsubscribes the listener.
    pub fn close(&self) {
        let mut st = self.lock();
        st.reader_gone = true;
        st.items.clear();
    }
}

/// One reader's end of an [`EventQueue`]: what both clients' `auth_events()` wrap
/// (an iterator in the blocking client, a `Stream` in the async one). Dropping it
/// unsubscribes.
#[derive(Debug)]
pub struct EventReader {
    queue: Arc<EventQueue>,
}

impl EventReader {
    /// A reader of `queue`.
    pub fn new(queue: Arc<EventQueue>) -> Self {
        Self { queue }
    }

    /// The next item if one is waiting, without waiting.
    pub fn try_next(&mut self) -> Option<AuthEventItem> {
        self.queue.try_pop()
    }

    /// The next item, waiting for one (blocking).
    pub fn wait_next(&mut self) -> AuthEventItem {
        self.queue.pop_wait()
    }

    /// The next item, or `None` after arranging for `waker` to be woken (async).
    pub fn poll_next(&mut self, waker: &Waker) -> Option<AuthEventItem> {
        self.queue.pop_or_register(waker)
    }
}

impl Drop for EventReader {
    fn drop(&mut self) {
        self.queue.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::AuthEventKind;

    fn event(kind: AuthEventKind) -> AuthEvent {
        AuthEvent::new(kind, None)
    }

    #[test]
    fn a_slow_reader_is_told_what_it_missed_and_memory_stays_bounded() {
        let q = EventQueue::new(2);
        for _ in 0..5 {
            assert!(q.push(&event(AuthEventKind::TokenRefreshed)));
        }
        q.push(&event(AuthEventKind::SignedOut));
        assert_eq!(q.try_pop(), Some(AuthEventItem::Lagged { missed: 4 }));
        assert_eq!(
            q.try_pop(),
            Some(AuthEventItem::Event(event(AuthEventKind::TokenRefreshed)))
        );
        assert_eq!(
            q.try_pop(),
            Some(AuthEventItem::Event(event(AuthEventKind::SignedOut)))
        );
        assert_eq!(q.try_pop(), None);
        q.close();
        assert!(
            !q.push(&event(AuthEventKind::SignedIn)),
            "the listener unsubscribes"
        );
    }
}
