//! Renewals coordinated through a store shared with other processes: read the stored
//! session before a call that carries the user's token, renew only under the store's
//! lock after re-reading it, write the new session before releasing the lock, and
//! re-read before believing an `invalid_grant` (the decisions are
//! [`crate::coordination`]'s; the I/O is the adapter's, as [`Step::Store`] tasks).

use std::time::SystemTime;

use super::renewal::Renewal;
use super::{Call, Phase, Step};
use crate::auth::SignInAnonymously;
use crate::auth::refresh::ends_session;
use crate::client_state::ClientState;
use crate::coordination::{Decision, after_rejection, reconcile};
use crate::error::Error;
use crate::operation::Operation;
use crate::persistence::{StoreLink, StoreReply};
use crate::secret::Secret;
use crate::session::Credentials;

/// What a store task was for, and what to do with its reply.
pub(super) enum StorePurpose {
    /// The stored session, read before a user-token request.
    Check,
    /// The stored session, read under the lock before renewing.
    Lock {
        renewal: Box<Renewal>,
        ticket: u64,
        forced: bool,
    },
    /// The stored session, re-read under the lock after `invalid_grant`.
    Reread {
        ticket: u64,
        forced: bool,
        sent: Secret,
        anonymous: bool,
        error: Error,
    },
    /// The lock was released (after a write, or without one): continue.
    Released { ticket: u64, then: AfterRelease },
}

/// What follows a released lock.
pub(super) enum AfterRelease {
    /// The session is renewed (by this call, or by adopting another process's).
    Renewed,
    /// The renewal did not happen: the driver's usual rules for a failed renewal.
    Failed {
        renewal: Box<Renewal>,
        error: Error,
        forced: bool,
    },
    /// The session is over; the call ends with this error.
    Ended(Error),
}

impl StorePurpose {
    /// The refresh-slot ticket the task's renewal holds.
    pub(super) fn ticket(&self) -> Option<u64> {
        match self {
            StorePurpose::Check => None,
            StorePurpose::Lock { ticket, .. }
            | StorePurpose::Reread { ticket, .. }
            | StorePurpose::Released { ticket, .. } => Some(*ticket),
        }
    }
}

fn shared_link(state: &ClientState) -> Option<StoreLink> {
    state.store.as_ref().filter(|l| l.is_shared()).cloned()
}

impl<O: Operation> Call<O> {
    fn store_step(
        &mut self,
        purpose: StorePurpose,
        task: crate::persistence::StoreTask,
    ) -> Step<O::Output> {
        self.phase = Phase::Store {
            purpose: Box::new(purpose),
            reply: None,
        };
        Step::Store(task)
    }

    /// Once per call, before its first request with the user's token: reads the
    /// stored session (another process may have refreshed or signed out). Skipped
    /// while this client refreshes (the stored session is then about to change).
    pub(super) fn check_store_before_call(
        &mut self,
        state: &mut ClientState,
    ) -> Option<Step<O::Output>> {
        if self.store_checked || state.session.credentials().is_none() || state.refresh.in_flight()
        {
            return None;
        }
        let link = shared_link(state)?;
        self.store_checked = true;
        Some(self.store_step(StorePurpose::Check, link.check()))
    }

    /// With a shared store, a renewal starts by taking its lock; otherwise the
    /// renewal is handed back to run at once.
    pub(super) fn lock_for_renewal(
        &mut self,
        state: &ClientState,
        renewal: Box<Renewal>,
        ticket: u64,
        forced: bool,
    ) -> Result<Step<O::Output>, Box<Renewal>> {
        let Some(link) = shared_link(state) else {
            return Err(renewal);
        };
        let purpose = StorePurpose::Lock {
            renewal: Box::new((*renewal).keeping_session_on_rejection()),
            ticket,
            forced,
        };
        Ok(self.store_step(purpose, link.lock()))
    }

    fn release(
        &mut self,
        state: &ClientState,
        ticket: u64,
        then: AfterRelease,
    ) -> Option<Step<O::Output>> {
        let link = shared_link(state)?;
        Some(self.store_step(StorePurpose::Released { ticket, then }, link.release()))
    }

    fn write_and_release(
        &mut self,
        state: &mut ClientState,
        ticket: u64,
        credentials: Option<Credentials>,
        then: AfterRelease,
    ) -> Option<Step<O::Output>> {
        let link = shared_link(state)?;
        // Written here, under the lock: the generic persistence skips this change.
        state.store_in_sync = true;
        Some(self.store_step(
            StorePurpose::Released { ticket, then },
            link.write_and_release(credentials),
        ))
    }

    /// Takes another process's session in place of the held one (`TOKEN_REFRESHED`).
    fn adopt(&mut self, state: &mut ClientState, stored: Credentials) {
        tracing::info!(
            request_id = self.rid(),
            "adopting the session another process stored"
        );
        state.session.refreshed(stored);
        state.store_in_sync = true;
    }

    /// Another process signed out: so does this client (`SIGNED_OUT`), without a
    /// request.
    fn signed_out_elsewhere(&mut self, state: &mut ClientState) {
        tracing::info!(
            request_id = self.rid(),
            "the stored session is gone; signing out"
        );
        state.session.sign_out();
        state.store_in_sync = true;
    }

    /// A store task's reply.
    pub(super) fn after_store(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        purpose: StorePurpose,
        reply: StoreReply,
    ) -> Option<Step<O::Output>> {
        match purpose {
            StorePurpose::Check => {
                match reply.0 {
                    Ok(stored) => {
                        if let Some(held) = state.session.credentials().cloned() {
                            match reconcile(&held, stored.as_ref()) {
                                Decision::Adopt(s) => self.adopt(state, s),
                                Decision::SignedOut => self.signed_out_elsewhere(state),
                                Decision::Keep => {}
                            }
                        }
                    }
                    // The stored copy is an optimisation here; the call goes on.
                    Err(e) => tracing::warn!(error = %e, "could not read the session store"),
                }
                self.phase = Phase::Ready;
                None
            }
            StorePurpose::Lock {
                renewal,
                ticket,
                forced,
            } => {
                let stored = match reply.0 {
                    Ok(stored) => stored,
                    Err(e) => {
                        // No lock, so no guard to release.
                        state.refresh.finish(ticket);
                        return self.renewal_failed_with(state, now, *renewal, e.into(), forced);
                    }
                };
                let Some(held) = state.session.credentials().cloned() else {
                    return self.release(state, ticket, AfterRelease::Renewed);
                };
                match reconcile(&held, stored.as_ref()) {
                    Decision::Adopt(s) => {
                        self.adopt(state, s);
                        self.release(state, ticket, AfterRelease::Renewed)
                    }
                    Decision::SignedOut => {
                        self.signed_out_elsewhere(state);
                        self.release(state, ticket, AfterRelease::Renewed)
                    }
                    Decision::Keep => {
                        self.phase = Phase::Renewing {
                            renewal,
                            ticket,
                            forced,
                            locked: true,
                        };
                        None
                    }
                }
            }
            StorePurpose::Reread {
                ticket,
                forced,
                sent,
                anonymous,
                error,
            } => {
                let decision = match reply.0 {
                    Ok(stored) => after_rejection(sent.expose(), stored.as_ref()),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not re-read the session store");
                        Decision::SignedOut
                    }
                };
                match decision {
                    Decision::Adopt(s) => {
                        self.adopt(state, s);
                        self.release(state, ticket, AfterRelease::Renewed)
                    }
                    _ if anonymous => {
                        // Still under the lock: a new anonymous session, written below.
                        self.phase = Phase::Renewing {
                            renewal: Box::new(Renewal::Anonymous(Call::new(
                                SignInAnonymously::renewal(),
                            ))),
                            ticket,
                            forced,
                            locked: true,
                        };
                        None
                    }
                    _ => {
                        state.session.sign_out();
                        self.write_and_release(state, ticket, None, AfterRelease::Ended(error))
                    }
                }
            }
            StorePurpose::Released { ticket, then } => {
                if let Err(e) = reply.0 {
                    tracing::warn!(error = %e, "could not write the session store");
                }
                state.refresh.finish(ticket);
                match then {
                    AfterRelease::Renewed => {
                        self.renewals = self.renewals.saturating_add(1);
                        self.phase = Phase::Ready;
                        None
                    }
                    AfterRelease::Failed {
                        renewal,
                        error,
                        forced,
                    } => self.renewal_failed_with(state, now, *renewal, error, forced),
                    AfterRelease::Ended(error) => Some(self.finish(Err(error))),
                }
            }
        }
    }

    /// A renewal run under the store's lock finished: write its session, re-read
    /// after a rejection, or release and apply the usual failure rules.
    pub(super) fn locked_renewal_done(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        renewal: Renewal,
        ticket: u64,
        forced: bool,
        result: Result<Credentials, Error>,
    ) -> Option<Step<O::Output>> {
        let _ = now;
        match result {
            Ok(credentials) => {
                self.write_and_release(state, ticket, Some(credentials), AfterRelease::Renewed)
            }
            Err(error) => {
                let rejected = matches!(&error, Error::Server(e) if ends_session(e));
                match (&renewal, rejected) {
                    (
                        Renewal::Refresh {
                            sent, anonymous, ..
                        },
                        true,
                    ) => {
                        let link = shared_link(state)?;
                        let purpose = StorePurpose::Reread {
                            ticket,
                            forced,
                            sent: sent.clone(),
                            anonymous: *anonymous,
                            error,
                        };
                        Some(self.store_step(purpose, link.reread()))
                    }
                    (Renewal::Anonymous(_), true) => {
                        state.session.sign_out();
                        self.write_and_release(state, ticket, None, AfterRelease::Ended(error))
                    }
                    _ => self.release(
                        state,
                        ticket,
                        AfterRelease::Failed {
                            renewal: Box::new(renewal),
                            error,
                            forced,
                        },
                    ),
                }
            }
        }
    }
}
