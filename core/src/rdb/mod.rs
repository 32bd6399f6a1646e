//! MySQL (and CloudBase PostgreSQL) over the PostgREST-style REST API,
//! `/v1/rdb/rest/...` — docs/protocol/mysql.md.
//!
//! Build a [`Query`] with [`from`], add filters, then end it with the call you want:
//! [`Query::fetch`], [`Query::fetch_counted`], [`Query::single`],
//! [`Query::maybe_single`], [`Query::count`], [`Query::insert`], [`Query::upsert`],
//! [`Query::update`] or [`Query::delete`]. Builder methods never fail; a bad name or
//! value is reported when the call is built, and nothing is sent.
//!
//! ```
//! use cloudbase_core::rdb::{from, Direction};
//!
//! #[derive(serde::Deserialize)]
//! struct Course { id: i64, name: String }
//!
//! let q = from("course").select("id,name").gte("grade", 3).like("name", "%math%")
//!     .order("name", Direction::Asc).limit(10).fetch::<Course>();
//! let n = from("course").eq("grade", 3).count();
//! let add = from("course").insert(&serde_json::json!({"id": 9, "name": "art"}));
//! let fix = from("course").eq("id", 9).update(&serde_json::json!({"name": "history"}));
//! ```
//!
//! **Encoding.** A value after `op.` is taken verbatim by PostgREST, so it is sent
//! as is and percent-encoded as a query value: nothing in it (`,` `)` `&id=gt.0` `%`
//! quotes, newlines, emoji) can add a parameter or a filter. Inside `in.(…)`,
//! `or=(…)` and `and=(…)` values are double-quoted (with `\"` and `\\` escapes)
//! whenever they contain a reserved character, whitespace or non-ASCII. The JS SDK
//! quotes only `,()` in `in` lists and nothing in `or` trees (so `or` values with a
//! comma break the query there); this SDK quotes consistently. `in` is sent in the
//! PostgREST form `in.(…)`, which the JS SDK sends; the CloudBase docs show
//! `in.[…]`, which servers are said to accept too (unconfirmed).

mod call;
mod encode;
mod filter;
mod query;
mod rpc;

pub use call::{Counted, RdbCall, content_range_total};
pub use encode::{RESERVED_PARAMS, quote_in_list, validate_name};
pub use filter::{Filter, IsValue, Op};
pub use query::{Direction, Nulls, Query, Resolution, from};
pub use rpc::{Rpc, RpcCall, rpc};

/// The single-object media type (`single()`): the server answers one object, or an
/// error when the query matched zero or several rows.
pub const OBJECT_MEDIA_TYPE: &str = "application/vnd.pgrst.object+json";

#[cfg(test)]
mod tests;
