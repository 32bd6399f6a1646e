//! The store work the driver hands to the adapter: it never runs under the client's
//! state lock, and the adapter decides where it runs (the blocking adapter inline,
//! the async one off the runtime, since a file lock may block).
//!
//! - [`PersistTask`]: "store this session, sequence N" after a change. Tasks may run
//!   on any thread in any order; one that is older than the last written is skipped,
//!   so the store always ends at the newest session.
//! - [`StoreTask`]: a step of a coordinated renewal (docs/protocol/auth.md §3 and
//!   [`crate::coordination`]): read the stored session, take the store's lock and
//!   read it, re-read under the lock, write and release, or release.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::session::Credentials;
use crate::store::{SessionStore, StoreError, StoreGuard, StoreKey};

/// A client's store, the key of its session, and how long to wait for its lock.
#[derive(Clone)]
pub(crate) struct StoreLink {
    pub store: Arc<dyn SessionStore>,
    pub key: StoreKey,
    pub lock_timeout: Duration,
    /// The sequence number of the newest session written, shared by every
    /// [`PersistTask`] of this client.
    pub written: Arc<Mutex<u64>>,
}

impl StoreLink {
    pub(crate) fn is_shared(&self) -> bool {
        self.store.is_shared()
    }

    fn task(&self, kind: TaskKind) -> StoreTask {
        StoreTask {
            link: self.clone(),
            kind,
        }
    }

    pub(crate) fn check(&self) -> StoreTask {
        self.task(TaskKind::Check)
    }

    pub(crate) fn lock(&self) -> StoreTask {
        self.task(TaskKind::Lock)
    }

    pub(crate) fn reread(&self) -> StoreTask {
        self.task(TaskKind::Reread)
    }

    pub(crate) fn write_and_release(&self, credentials: Option<Credentials>) -> StoreTask {
        self.task(TaskKind::Write(credentials))
    }

    pub(crate) fn release(&self) -> StoreTask {
        self.task(TaskKind::Release)
    }
}

/// Stores the session as it was after a change; see the [module docs](self).
pub struct PersistTask {
    pub(crate) link: StoreLink,
    pub(crate) seq: u64,
    pub(crate) credentials: Option<Credentials>,
}

impl std::fmt::Debug for PersistTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersistTask")
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl PersistTask {
    /// Writes the session unless a newer one was written already. A failure is
    /// logged (the session in memory stays as it is) and returned.
    pub fn run(self) -> Result<(), StoreError> {
        let mut written = self.link.written.lock().unwrap_or_else(|p| p.into_inner());
        if self.seq <= *written {
            return Ok(());
        }
        match self
            .link
            .store
            .save(&self.link.key, self.credentials.as_ref())
        {
            Ok(()) => {
                *written = self.seq;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not save the session");
                Err(e)
            }
        }
    }
}

enum TaskKind {
    Check,
    Lock,
    Reread,
    Write(Option<Credentials>),
    Release,
}

/// A store step of a coordinated renewal; run it with [`StoreTask::run`] and hand
/// the reply to [`Call::on_store`](crate::Call::on_store).
pub struct StoreTask {
    link: StoreLink,
    kind: TaskKind,
}

impl std::fmt::Debug for StoreTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            TaskKind::Check => "check",
            TaskKind::Lock => "lock",
            TaskKind::Reread => "reread",
            TaskKind::Write(_) => "write",
            TaskKind::Release => "release",
        };
        f.debug_struct("StoreTask")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

/// What a [`StoreTask`] found: the stored session, or why the store failed.
#[derive(Debug)]
pub struct StoreReply(pub(crate) Result<Option<Credentials>, StoreError>);

impl StoreReply {
    /// The reply for a task that did not finish (its thread panicked, or it was
    /// cancelled).
    pub fn interrupted() -> Self {
        Self(Err(StoreError::Unsupported(
            "the store task did not finish",
        )))
    }
}

impl StoreTask {
    /// Runs the task. `guard` is the adapter's slot for the store's lock: a lock
    /// task fills it, a write or release empties it (releasing the lock), and the
    /// adapter drops whatever is left when the call ends.
    pub fn run(self, guard: &mut Option<StoreGuard>) -> StoreReply {
        let StoreTask { link, kind } = self;
        let result = match kind {
            TaskKind::Check => link.store.load(&link.key),
            TaskKind::Lock => {
                *guard = None;
                link.store
                    .lock(&link.key, link.lock_timeout)
                    .and_then(|held| {
                        let stored = held.load();
                        *guard = Some(held);
                        stored
                    })
            }
            TaskKind::Reread => match guard {
                Some(held) => held.load(),
                None => Err(StoreError::Unsupported("no store lock is held")),
            },
            TaskKind::Write(credentials) => {
                let written = match guard.as_mut() {
                    Some(held) => held.save(credentials.as_ref()),
                    None => link.store.save(&link.key, credentials.as_ref()),
                };
                *guard = None;
                written.map(|()| None)
            }
            TaskKind::Release => {
                *guard = None;
                Ok(None)
            }
        };
        StoreReply(result)
    }
}
