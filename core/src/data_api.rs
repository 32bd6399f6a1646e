//! The data handles both adapters offer (`client.models()`, `client.mysql()`),
//! defined once like [`client_methods!`](crate::client_methods).

/// Expands, at module level in an adapter crate, to `Models` and `Mysql`:
/// borrowed handles whose methods build a core operation and run it with the
/// client's `execute`. Blocking: `data_handles!(,)`; async: `data_handles!(async, .await)`.
#[macro_export]
#[doc(hidden)]
macro_rules! data_handles {
    ($($async:ident)?, $($await:tt)*) => {
        /// Data models (`/v1/model/...`) of one data environment; from
        /// [`Client::models`]. Each method names the model it works on.
        #[derive(Clone, Debug)]
        pub struct Models {
            pub(crate) client: Client,
            pub(crate) env: $crate::models::DataEnv,
        }

        impl Models {
            /// The same handle on `env`'s data (`prod` unless set).
            pub fn env(self, env: $crate::models::DataEnv) -> Self {
                Self { env, ..self }
            }

            fn model(&self, name: &str) -> Result<$crate::models::Model, $crate::Error> {
                Ok($crate::models::Model::new(name)?.env(self.env))
            }

            /// One record by id (`None` if there is none).
            pub $($async)? fn get_by_id<T: $crate::serde::de::DeserializeOwned>(&self, model: &str, id: &str) -> Result<Option<T>, $crate::Error> {
                self.client.execute(self.model(model)?.get_by_id::<T>(id)?) $($await)*
            }

            /// The first record matching `query`'s filter (`None` if none does).
            pub $($async)? fn get<T: $crate::serde::de::DeserializeOwned>(&self, model: &str, query: &$crate::models::Query) -> Result<Option<T>, $crate::Error> {
                self.client.execute(self.model(model)?.get::<T>(query)?) $($await)*
            }

            /// A page of matching records (`total` with `Query::with_count`).
            pub $($async)? fn list<T: $crate::serde::de::DeserializeOwned>(&self, model: &str, query: &$crate::models::Query) -> Result<$crate::models::Page<T>, $crate::Error> {
                self.client.execute(self.model(model)?.list::<T>(query)?) $($await)*
            }

            /// The query-only list (`GET …/list?pageSize=&pageNumber=&getCount=`).
            /// Only `query`'s paging and count are sent (`Query::new().page(1, 20).with_count()`).
            pub $($async)? fn list_simple<T: $crate::serde::de::DeserializeOwned>(&self, model: &str, query: &$crate::models::Query) -> Result<$crate::models::Page<T>, $crate::Error> {
                self.client.execute(self.model(model)?.list_simple::<T>(query)?) $($await)*
            }

            /// Creates a record; returns its id.
            pub $($async)? fn create<D: $crate::serde::Serialize + ?Sized>(&self, model: &str, data: &D) -> Result<String, $crate::Error> {
                self.client.execute(self.model(model)?.create(data)?) $($await)*
            }

            /// Creates records; returns their ids.
            pub $($async)? fn create_many<D: $crate::serde::Serialize>(&self, model: &str, records: &[D]) -> Result<Vec<String>, $crate::Error> {
                self.client.execute(self.model(model)?.create_many(records)?) $($await)*
            }

            /// Changes one record matching `filter`; returns how many changed. A
            /// filter matching everything is refused unsent.
            pub $($async)? fn update<D: $crate::serde::Serialize + ?Sized>(&self, model: &str, filter: $crate::models::Filter, data: &D) -> Result<u64, $crate::Error> {
                self.client.execute(self.model(model)?.update(filter, data)?) $($await)*
            }

            /// Changes every record matching `filter` (which must not match everything).
            pub $($async)? fn update_many<D: $crate::serde::Serialize + ?Sized>(&self, model: &str, filter: $crate::models::Filter, data: &D) -> Result<$crate::models::UpdateManyOutcome, $crate::Error> {
                self.client.execute(self.model(model)?.update_many(filter, data)?) $($await)*
            }

            /// Updates the records matching `filter` with `update`, or creates
            /// `create` when none matches.
            pub $($async)? fn upsert<C: $crate::serde::Serialize + ?Sized, U: $crate::serde::Serialize + ?Sized>(&self, model: &str, filter: $crate::models::Filter, create: &C, update: &U) -> Result<$crate::models::UpsertOutcome, $crate::Error> {
                self.client.execute(self.model(model)?.upsert(filter, create, update)?) $($await)*
            }

            /// Deletes one record by id; returns how many went (0 or 1).
            pub $($async)? fn delete_by_id(&self, model: &str, id: &str) -> Result<u64, $crate::Error> {
                self.client.execute(self.model(model)?.delete_by_id(id)?) $($await)*
            }

            /// Deletes one record matching `filter` (the JS client's `delete`).
            pub $($async)? fn delete_record(&self, model: &str, filter: $crate::models::Filter) -> Result<u64, $crate::Error> {
                self.client.execute(self.model(model)?.delete_record(filter)?) $($await)*
            }

            /// Deletes every record matching `filter` (which must not match everything).
            pub $($async)? fn delete_many(&self, model: &str, filter: $crate::models::Filter) -> Result<u64, $crate::Error> {
                self.client.execute(self.model(model)?.delete_many(filter)?) $($await)*
            }

            /// Raw SQL with `{{ name }}` parameters (admin identities only); rows as `T`.
            pub $($async)? fn mysql_command<T: $crate::serde::de::DeserializeOwned>(&self, sql: &str, params: $crate::models::SqlParams) -> Result<$crate::models::MysqlCommandResult<T>, $crate::Error> {
                self.client.execute($crate::models::MysqlCommand::new(sql)?.params(params).typed::<T>()) $($await)*
            }

            /// Runs SQL template `name` (made in the console) in this data environment.
            pub $($async)? fn run_sql_template<T: $crate::serde::de::DeserializeOwned>(&self, name: &str, params: $crate::models::SqlParams) -> Result<T, $crate::Error> {
                self.client.execute($crate::models::RunSqlTemplate::new(name)?.env(self.env).params(params).typed::<T>()) $($await)*
            }
        }

        /// MySQL REST (`/v1/rdb/rest/...`) in Flutter's style, with filter maps of raw
        /// PostgREST expressions (`[("age", "gt.18")]`); from [`Client::mysql`]. For the
        /// typed builder run `cloudbase_core::rdb::from(…)…` with `execute`.
        #[derive(Clone, Debug)]
        pub struct Mysql {
            pub(crate) client: Client,
        }

        impl Mysql {
            fn filtered<K: Into<String>, V: Into<String>>(table: &str, filters: impl IntoIterator<Item = (K, V)>) -> $crate::rdb::Query {
                let mut q = $crate::rdb::from(table);
                for (k, v) in filters {
                    q = q.filter_raw(k, v);
                }
                q
            }

            /// The rows matching every filter.
            pub $($async)? fn query<T: $crate::serde::de::DeserializeOwned, K: Into<String>, V: Into<String>>(&self, table: &str, filters: impl IntoIterator<Item = (K, V)>) -> Result<Vec<T>, $crate::Error> {
                self.client.execute(Self::filtered(table, filters).fetch::<T>()) $($await)*
            }

            /// Inserts a row (object) or rows (array).
            pub $($async)? fn insert<D: $crate::serde::Serialize + ?Sized>(&self, table: &str, rows: &D) -> Result<(), $crate::Error> {
                self.client.execute($crate::rdb::from(table).insert(rows)) $($await)*
            }

            /// Updates the rows matching every filter; no filter is refused unsent.
            pub $($async)? fn update<D: $crate::serde::Serialize + ?Sized, K: Into<String>, V: Into<String>>(&self, table: &str, changes: &D, filters: impl IntoIterator<Item = (K, V)>) -> Result<(), $crate::Error> {
                self.client.execute(Self::filtered(table, filters).update(changes)) $($await)*
            }

            /// Deletes the rows matching every filter; no filter is refused unsent.
            pub $($async)? fn delete<K: Into<String>, V: Into<String>>(&self, table: &str, filters: impl IntoIterator<Item = (K, V)>) -> Result<(), $crate::Error> {
                self.client.execute(Self::filtered(table, filters).delete()) $($await)*
            }

            /// How many rows match every filter (`HEAD`, `Prefer: count=exact`).
            pub $($async)? fn count<K: Into<String>, V: Into<String>>(&self, table: &str, filters: impl IntoIterator<Item = (K, V)>) -> Result<u64, $crate::Error> {
                self.client.execute(Self::filtered(table, filters).count()) $($await)*
            }
        }
    };
}
