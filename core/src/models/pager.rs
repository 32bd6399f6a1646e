//! Walking every page of a `list` query; the adapters wrap this in an `Iterator`
//! (blocking) or a `Stream` (async).

use std::collections::VecDeque;

use serde::de::DeserializeOwned;

use super::{MAX_PAGE_SIZE, Model, ModelCall, Page, Query};
use crate::error::{BuildError, Error};

/// What [`PageCursor::poll`] says to do next.
#[derive(Debug)]
pub enum PageStep<T> {
    /// The next record.
    Record(T),
    /// Run this call and hand its result to [`PageCursor::on_page`].
    Fetch(ModelCall<Page<T>>),
    /// The walk failed; it ends here.
    Failed(Error),
    /// Every record has been returned.
    Done,
}

/// A walk over every record of a query, page by page: which page to ask for next,
/// the records of the last page not yet handed out, and whether the walk is over.
/// Pages are `MAX_PAGE_SIZE` (200) records unless the query sets a size; the walk
/// ends at the first short page, or when the count the service reported (`getCount`
/// is always asked) has been reached, or at the first error. The adapters' pagers
/// (an `Iterator`, a `Stream`) only run the calls it asks for.
///
/// ```
/// use cloudbase_core::models::{Model, Page, PageCursor, PageStep, Query};
///
/// let mut cursor = PageCursor::<serde_json::Value>::new(Model::new("todo")?, Query::new())?;
/// let PageStep::Fetch(_call) = cursor.poll() else { panic!("a first page is always asked for") };
/// // …execute the call, then hand over what came back:
/// let page: Page<serde_json::Value> = serde_json::from_str(r#"{"records":[{"a":1}],"total":1}"#).expect("json");
/// assert!(cursor.on_page(Ok(page)).is_none());
/// assert!(matches!(cursor.poll(), PageStep::Record(_)));
/// assert!(matches!(cursor.poll(), PageStep::Done));
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Debug)]
pub struct PageCursor<T> {
    model: Model,
    query: Query,
    page_size: u32,
    next_page: u32,
    seen: u64,
    buffer: VecDeque<T>,
    finished: bool,
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
            buffer: VecDeque::new(),
            finished: false,
        })
    }

    /// The next thing to do: hand out a record, fetch a page, or stop.
    pub fn poll(&mut self) -> PageStep<T> {
        if let Some(record) = self.buffer.pop_front() {
            return PageStep::Record(record);
        }
        if self.finished {
            return PageStep::Done;
        }
        let query = self
            .query
            .clone()
            .page(self.next_page, self.page_size)
            .with_count();
        match self.model.list(&query) {
            Ok(call) => PageStep::Fetch(call),
            Err(e) => {
                self.finished = true;
                PageStep::Failed(e.into())
            }
        }
    }

    /// Takes the result of a [`PageStep::Fetch`] call; an error ends the walk and is
    /// handed back to pass on.
    pub fn on_page(&mut self, result: Result<Page<T>, Error>) -> Option<Error> {
        match result {
            Ok(page) => {
                let n = page.records.len() as u64;
                self.seen += n;
                self.next_page = self.next_page.saturating_add(1);
                let short = n < u64::from(self.page_size);
                let counted_out = page.total.is_some_and(|t| self.seen >= t);
                self.finished = short || counted_out;
                self.buffer.extend(page.records);
                None
            }
            Err(e) => {
                self.finished = true;
                Some(e)
            }
        }
    }

    /// Records fetched so far.
    pub fn records_seen(&self) -> u64 {
        self.seen
    }
}
