//! The captcha a call must pass before its replay: fetch a challenge, have it
//! solved, verify the answer, replay with the token.

use std::time::SystemTime;

use super::{Call, Phase, Step};
use crate::auth::{CaptchaChallenge, CreateCaptchaData, VerifyCaptchaData};
use crate::client_state::ClientState;
use crate::codes::AuthErrorCode;
use crate::error::{Error, ServerError, TransportError};
use crate::operation::Operation;
use crate::request::{Api, HttpResponse, RequestSpec};

/// The captcha a call must pass before its replay (docs/protocol/auth.md §5.3).
pub(super) enum CaptchaFlow {
    Creating(Call<CreateCaptchaData>),
    Solving(CaptchaChallenge),
    Verifying(Call<VerifyCaptchaData>),
}

impl CaptchaFlow {
    pub(super) fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        match self {
            CaptchaFlow::Creating(c) => c.on_response(now, response),
            CaptchaFlow::Verifying(c) => c.on_response(now, response),
            CaptchaFlow::Solving(_) => {}
        }
    }

    pub(super) fn on_failure(&mut self, failure: TransportError) {
        match self {
            CaptchaFlow::Creating(c) => c.on_failure(failure),
            CaptchaFlow::Verifying(c) => c.on_failure(failure),
            CaptchaFlow::Solving(_) => {}
        }
    }
}

impl<O: Operation> Call<O> {
    /// Meets a `captcha_required` / `captcha_invalid` answer to a protected auth
    /// call, once per call: replays with the cached token (unless the server called
    /// it invalid), or starts the captcha flow. Whether it did.
    pub(super) fn captcha_required(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        api: Api,
        server: &ServerError,
    ) -> bool {
        let Some(code) = server.code.auth() else {
            return false;
        };
        if !api.is_auth()
            || self.captcha_tried
            || !self.op.captcha_protected()
            || !matches!(
                code,
                AuthErrorCode::CaptchaRequired | AuthErrorCode::CaptchaInvalid
            )
        {
            return false;
        }
        self.captcha_tried = true;
        let cached = state.captcha_cache.get(now).map(|t| t.token.clone());
        match cached {
            Some(token) if *code == AuthErrorCode::CaptchaRequired => {
                self.captcha_token = Some(token);
                self.request_id = None;
                self.phase = Phase::Ready;
            }
            _ => {
                state.captcha_cache.clear();
                let purpose = self.captcha_purpose();
                tracing::info!(request_id = self.rid(), code = %server.code, "captcha required; fetching a challenge");
                self.phase = Phase::Captcha(Box::new(CaptchaFlow::Creating(Call::new(
                    CreateCaptchaData::new(purpose),
                ))));
            }
        }
        true
    }

    /// Hands `challenge` to the client's solver (run by [`ActiveCall`] outside the
    /// lock, which polls again at once), or ends the call with it when there is none.
    ///
    /// [`ActiveCall`]: crate::ActiveCall
    pub(super) fn solve(
        &mut self,
        state: &ClientState,
        now: SystemTime,
        challenge: CaptchaChallenge,
    ) -> Step<O::Output> {
        match state.captcha_solver() {
            Some(solver) => {
                self.pending_solve = Some(Box::new((solver, challenge.clone())));
                self.phase = Phase::Captcha(Box::new(CaptchaFlow::Solving(challenge)));
                Step::Sleep(now)
            }
            None => self.finish(Err(Error::Captcha(Box::new(challenge)))),
        }
    }

    /// Runs the solver the flow is waiting for, if any: app code, so the caller runs
    /// this outside the client's lock. Whether there was one.
    pub(crate) fn solve_pending(&mut self) -> bool {
        match self.pending_solve.take().map(|pending| *pending) {
            Some((solver, challenge)) => {
                self.captcha_answer = Some(solver.solve(&challenge));
                true
            }
            None => false,
        }
    }

    /// Adds the captcha token the replay must carry: the `captcha_token` query
    /// parameter (JS SDK) and the `x-captcha-token` header (HTTP API docs); docs/protocol/auth.md
    /// §5.3 notes sending both is harmless.
    pub(super) fn with_captcha(&self, spec: RequestSpec) -> RequestSpec {
        let Some(token) = &self.captcha_token else {
            return spec;
        };
        let spec = spec.query("captcha_token", token.expose());
        match http::HeaderValue::from_str(token.expose()) {
            Ok(mut v) => {
                v.set_sensitive(true);
                spec.header(http::HeaderName::from_static("x-captcha-token"), v)
            }
            Err(_) => spec,
        }
    }

    /// `"<METHOD>:<path>"` of the call, the captcha `state` the JS SDK sends: the
    /// path as its auth client names it, without the `/auth` prefix
    /// (`POST:/v1/verification`; transcripts auth/captcha/*), since the captcha
    /// token may be bound to it.
    pub(super) fn captcha_purpose(&self) -> String {
        match &self.spec {
            Some(spec) => {
                let prefix = spec.api.prefix();
                let prefix = prefix.strip_prefix("auth/").unwrap_or(prefix);
                format!("{}:/{prefix}{}", spec.method, spec.path)
            }
            None => String::new(),
        }
    }

    /// Advances the captcha flow: fetch a challenge, have it solved, verify the
    /// answer, then replay the call with the captcha token.
    pub(super) fn captcha_step(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        flow: CaptchaFlow,
    ) -> Option<Step<O::Output>> {
        match flow {
            CaptchaFlow::Creating(mut call) => match call.poll(state, now) {
                Step::Send(r) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Creating(call)));
                    Some(Step::Send(r))
                }
                Step::Sleep(t) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Creating(call)));
                    Some(Step::Sleep(t))
                }
                Step::Wait { .. } | Step::Store(_) => {
                    Some(self.finish(Err(Error::Internal("a captcha cannot wait"))))
                }
                Step::Done(Err(e)) => Some(self.finish(Err(e))),
                Step::Done(Ok(challenge)) => Some(self.solve(state, now, challenge)),
            },
            CaptchaFlow::Solving(challenge) => match self.captcha_answer.take() {
                Some(Some(key)) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Verifying(Call::new(
                        VerifyCaptchaData::new(&challenge, key),
                    ))));
                    None
                }
                // The solver gave up, or nobody ran it (a bare `Call` without ActiveCall).
                _ => {
                    self.pending_solve = None;
                    Some(self.finish(Err(Error::Captcha(Box::new(challenge)))))
                }
            },
            CaptchaFlow::Verifying(mut call) => match call.poll(state, now) {
                Step::Send(r) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Verifying(call)));
                    Some(Step::Send(r))
                }
                Step::Sleep(t) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Verifying(call)));
                    Some(Step::Sleep(t))
                }
                Step::Wait { .. } | Step::Store(_) => {
                    Some(self.finish(Err(Error::Internal("a captcha cannot wait"))))
                }
                Step::Done(Err(e)) => Some(self.finish(Err(e))),
                Step::Done(Ok(token)) => {
                    tracing::info!(
                        request_id = self.rid(),
                        "captcha solved; replaying the call"
                    );
                    self.captcha_token = Some(token.token);
                    self.request_id = None;
                    self.phase = Phase::Ready;
                    None
                }
            },
        }
    }
}
