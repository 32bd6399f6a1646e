//! `client.models()` / `client.mysql()`, and the pager over every page of a query.

use cloudbase_core::Error;
use cloudbase_core::models::{PageCursor, PageStep, Query};
use futures_util::Stream;
use serde::de::DeserializeOwned;

use crate::Client;

cloudbase_core::data_handles!(async, .await);

impl<'a> Models<'a> {
    /// Every record `query` matches, as a `Stream` that fetches the pages (200
    /// records a page unless the query sets a size). After an error the stream ends.
    ///
    /// ```no_run
    /// use cloudbase_async::{Client, Config};
    /// use cloudbase_async::models::Query;
    /// use futures_util::StreamExt;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::new(Config::builder("my-env").publishable_key("pk").build()?)?;
    /// let records = client.models().records::<serde_json::Value>("todo", Query::new())?;
    /// let mut records = std::pin::pin!(records);
    /// while let Some(record) = records.next().await {
    ///     println!("{}", record?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn records<T: DeserializeOwned + 'a>(
        &self,
        model: &str,
        query: Query,
    ) -> Result<impl Stream<Item = Result<T, Error>> + 'a, Error> {
        let cursor = PageCursor::<T>::new(self.model(model)?, query)?;
        let client = self.client;
        Ok(futures_util::stream::unfold(
            cursor,
            move |mut cursor| async move {
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
            },
        ))
    }
}
