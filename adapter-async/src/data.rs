//! `client.models()` / `client.mysql()`, and the pager over every page of a query.

use std::pin::Pin;
use std::task::{Context, Poll};

use cloudbase_core::Error;
use cloudbase_core::models::{PageCursor, PageStep, Query};
use futures_util::Stream;
use serde::de::DeserializeOwned;

use crate::Client;

cloudbase_core::data_handles!(async, .await);

/// Every record a model query matches, as a `Stream` that fetches the pages as it is
/// polled (so a slow consumer holds at most one page). `Unpin` and `'static`: no
/// `pin!` needed, and it may move into a task. After an error the stream ends.
pub struct Records<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
}

impl<T> std::fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

impl<T> Stream for Records<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Models {
    /// Every record `query` matches, as a `Stream` that fetches the pages (200
    /// records a page unless the query sets a size). After an error the stream ends.
    ///
    /// ```no_run
    /// use cloudbase_async::{Client, Config};
    /// use cloudbase_async::models::Query;
    /// use cloudbase_async::StreamExt;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::new(Config::builder("my-env").publishable_key("pk").build()?)?;
    /// let mut records = client.models().records::<serde_json::Value>("todo", Query::new())?;
    /// while let Some(record) = records.next().await {
    ///     println!("{}", record?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn records<T: DeserializeOwned + Send + 'static>(
        &self,
        model: &str,
        query: Query,
    ) -> Result<Records<T>, Error> {
        let cursor = PageCursor::<T>::new(self.model(model)?, query)?;
        let client = self.client.clone();
        let pages = futures_util::stream::unfold(cursor, move |mut cursor| {
            let client = client.clone();
            async move {
                loop {
                    match cursor.poll() {
                        PageStep::Record(record) => return Some((Ok(record), cursor)),
                        PageStep::Failed(e) => return Some((Err(e), cursor)),
                        PageStep::Done => return None,
                        PageStep::Fetch(call) => {
                            if let Some(e) = cursor.on_page(client.execute(call).await) {
                                return Some((Err(e), cursor));
                            }
                        }
                    }
                }
            }
        });
        Ok(Records {
            inner: Box::pin(pages),
        })
    }
}
