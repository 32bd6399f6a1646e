//! `client.models()` / `client.mysql()`, and the pager over every page of a query.

use cloudbase_core::Error;
use cloudbase_core::models::{PageCursor, PageStep, Query};
use serde::de::DeserializeOwned;

use crate::Client;

cloudbase_core::data_handles!(,);

/// Every record a model query matches, fetched page by page as the iteration goes
/// (200 records a page unless the query sets a size). After an error the iteration
/// ends; [`Records::records_seen`] says how far it got.
pub struct Records<T> {
    client: Client,
    cursor: PageCursor<T>,
}

impl<T: DeserializeOwned> Records<T> {
    /// Records fetched so far.
    pub fn records_seen(&self) -> u64 {
        self.cursor.records_seen()
    }
}

impl<T: DeserializeOwned> Iterator for Records<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.cursor.poll() {
                PageStep::Record(record) => return Some(Ok(record)),
                PageStep::Failed(e) => return Some(Err(e)),
                PageStep::Done => return None,
                PageStep::Fetch(call) => {
                    if let Some(e) = self.cursor.on_page(self.client.execute(call)) {
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}

impl Models {
    /// Every record `query` matches, as an iterator that fetches the pages.
    ///
    /// ```no_run
    /// use cloudbase_blocking::{Client, Config};
    /// use cloudbase_blocking::models::{field, Query};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Todo { title: String }
    ///
    /// let client = Client::new(Config::builder("my-env").publishable_key("pk").build()?)?;
    /// for todo in client.models().records::<Todo>("todo", Query::new().filter(field("done").eq(false)))? {
    ///     println!("{}", todo?.title);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn records<T: DeserializeOwned>(
        &self,
        model: &str,
        query: Query,
    ) -> Result<Records<T>, Error> {
        Ok(Records {
            client: self.client.clone(),
            cursor: PageCursor::new(self.model(model)?, query)?,
        })
    }
}
