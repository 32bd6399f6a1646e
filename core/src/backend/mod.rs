//! What a backend needs beyond the client SDKs (the `backend` feature): minting
//! custom-login tickets and verifying users' access tokens. Pure computation plus one
//! operation ([`VerifyAccessToken`]) that fetches the environment's key set when its
//! cache says so.

mod key_cache;
mod key_set;
mod tickets;
mod verify;
mod verify_op;

pub use key_cache::{KeyCache, KeyDecision};
pub use key_set::KeySet;
pub use tickets::{CustomLoginKey, TicketOptions, create_ticket, is_valid_uid};
pub use verify::{Audience, VerifiedClaims, key_id, verify_token};
pub use verify_op::VerifyAccessToken;
