//! Walking every page of a `list` query; the adapters wrap this in an `Iterator`
//! (blocking) or a `Stream` (async).

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::{MAX_PAGE_SIZE, Model, ModelCall, Page, Query};
use crate::error::BuildError;

/// Where a walk over all pages of a query stands: which page to ask for next and
/// whether the last one has been seen. Pages are `MAX_PAGE_SIZE` (200) records
/// unless the query sets a size; the walk ends at the first short page, or when the
/// count the service reported (`getCount` is always asked) has been reached.
///
/// ```
/// use cloudbase_core::models::{Model, PageCursor, Page, Query};
///
/// let mut cursor = PageCursor::<serde_json::Value>::new(Model::new("todo")?, Query::new())?;
/// let first = cursor.next_call()?.expect("a first page is always asked for");
/// // …execute `first`, then report what came back:
/// let page: Page<serde_json::Value> = serde_json::from_str(r#"{"records":[],"total":0}"#).expect("json");
/// cursor.advance(&page);
/// assert!(cursor.next_call()?.is_none());
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Debug)]
pub struct PageCursor<T> {
    model: Model,
    query: Query,
    page_size: u32,
    next_page: u32,
    seen: u64,
    done: bool,
    _out: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> PageCursor<T> {
    /// A walk over every record `query` matches, from its page (1 unless set).
    pub fn new(model: Model, query: Query) -> Result<Self, BuildError> {
        query.check()?;
        let page_size = query.page_size.unwrap_or(MAX_PAGE_SIZE);
        let next_page = query.page_number.unwrap_or(1);
        Ok(Self {
            model,
            query,
            page_size,
            next_page,
            seen: 0,
            done: false,
            _out: PhantomData,
        })
    }

    /// The call for the next page, or `None` when the walk is over.
    pub fn next_call(&self) -> Result<Option<ModelCall<Page<T>>>, BuildError> {
        if self.done {
            return Ok(None);
        }
        let query = self
            .query
            .clone()
            .page(self.next_page, self.page_size)
            .with_count();
        self.model.list(&query).map(Some)
    }

    /// Records a page that came back.
    pub fn advance(&mut self, page: &Page<T>) {
        self.seen += page.records.len() as u64;
        self.next_page = self.next_page.saturating_add(1);
        let short = (page.records.len() as u64) < u64::from(self.page_size);
        let counted_out = page.total.is_some_and(|t| self.seen >= t);
        self.done = short || counted_out;
    }

    /// Whether the last page has been seen.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Records returned so far.
    pub fn records_seen(&self) -> u64 {
        self.seen
    }
}
