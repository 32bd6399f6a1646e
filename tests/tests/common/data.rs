//! Data calls for both adapters (generic methods, so not in the `auth_client!`
//! list), and the data scenarios.
#![allow(clippy::unwrap_used, dead_code)]

use cloudbase_core::Error;
use cloudbase_core::models::{
    DataEnv, Filter, MysqlCommandResult, Page, Query, SqlParams, UpdateManyOutcome, UpsertOutcome,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AsyncClient;

type Pairs<'a> = &'a [(&'a str, &'a str)];

/// `client.models()` / `client.mysql()` on both adapters.
pub trait DataClient {
    fn get_by_id<T: DeserializeOwned + Send>(
        &self,
        env: DataEnv,
        model: &str,
        id: &str,
    ) -> Result<Option<T>, Error>;
    fn get<T: DeserializeOwned + Send>(&self, model: &str, q: &Query) -> Result<Option<T>, Error>;
    fn list<T: DeserializeOwned + Send>(
        &self,
        env: DataEnv,
        model: &str,
        q: &Query,
    ) -> Result<Page<T>, Error>;
    fn list_simple<T: DeserializeOwned + Send>(
        &self,
        model: &str,
        number: u32,
        size: u32,
        count: bool,
    ) -> Result<Page<T>, Error>;
    fn create<D: Serialize + Sync>(
        &self,
        env: DataEnv,
        model: &str,
        data: &D,
    ) -> Result<String, Error>;
    fn create_many<D: Serialize + Sync>(
        &self,
        model: &str,
        data: &[D],
    ) -> Result<Vec<String>, Error>;
    fn update<D: Serialize + Sync>(&self, model: &str, f: Filter, data: &D) -> Result<u64, Error>;
    fn update_many<D: Serialize + Sync>(
        &self,
        model: &str,
        f: Filter,
        data: &D,
    ) -> Result<UpdateManyOutcome, Error>;
    fn upsert<C: Serialize + Sync, U: Serialize + Sync>(
        &self,
        model: &str,
        f: Filter,
        c: &C,
        u: &U,
    ) -> Result<UpsertOutcome, Error>;
    fn delete_by_id(&self, model: &str, id: &str) -> Result<u64, Error>;
    fn delete_record(&self, model: &str, f: Filter) -> Result<u64, Error>;
    fn delete_many(&self, model: &str, f: Filter) -> Result<u64, Error>;
    fn mysql_command<T: DeserializeOwned + Send>(
        &self,
        sql: &str,
        p: SqlParams,
    ) -> Result<MysqlCommandResult<T>, Error>;
    fn run_sql_template<T: DeserializeOwned + Send>(
        &self,
        name: &str,
        p: SqlParams,
    ) -> Result<T, Error>;
    /// The pager, collected.
    fn all_records<T: DeserializeOwned + Send + 'static>(
        &self,
        model: &str,
        q: Query,
    ) -> Result<Vec<T>, Error>;
    fn mysql_query<T: DeserializeOwned + Send>(
        &self,
        table: &str,
        f: Pairs<'_>,
    ) -> Result<Vec<T>, Error>;
    fn mysql_insert<D: Serialize + Sync>(&self, table: &str, rows: &D) -> Result<(), Error>;
    fn mysql_update<D: Serialize + Sync>(
        &self,
        table: &str,
        changes: &D,
        f: Pairs<'_>,
    ) -> Result<(), Error>;
    fn mysql_delete(&self, table: &str, f: Pairs<'_>) -> Result<(), Error>;
    fn mysql_count(&self, table: &str, f: Pairs<'_>) -> Result<u64, Error>;
}

fn pairs<'a>(f: Pairs<'a>) -> impl Iterator<Item = (&'a str, &'a str)> {
    f.iter().copied()
}

impl DataClient for cloudbase_blocking::Client {
    fn get_by_id<T: DeserializeOwned + Send>(
        &self,
        env: DataEnv,
        model: &str,
        id: &str,
    ) -> Result<Option<T>, Error> {
        self.models().env(env).get_by_id(model, id)
    }
    fn get<T: DeserializeOwned + Send>(&self, model: &str, q: &Query) -> Result<Option<T>, Error> {
        self.models().get(model, q)
    }
    fn list<T: DeserializeOwned + Send>(
        &self,
        env: DataEnv,
        model: &str,
        q: &Query,
    ) -> Result<Page<T>, Error> {
        self.models().env(env).list(model, q)
    }
    fn list_simple<T: DeserializeOwned + Send>(
        &self,
        model: &str,
        number: u32,
        size: u32,
        count: bool,
    ) -> Result<Page<T>, Error> {
        let query = cloudbase_core::models::Query::new().page(number, size);
        let query = if count { query.with_count() } else { query };
        self.models().list_simple(model, &query)
    }
    fn create<D: Serialize + Sync>(
        &self,
        env: DataEnv,
        model: &str,
        data: &D,
    ) -> Result<String, Error> {
        self.models().env(env).create(model, data)
    }
    fn create_many<D: Serialize + Sync>(
        &self,
        model: &str,
        data: &[D],
    ) -> Result<Vec<String>, Error> {
        self.models().create_many(model, data)
    }
    fn update<D: Serialize + Sync>(&self, model: &str, f: Filter, data: &D) -> Result<u64, Error> {
        self.models().update(model, f, data)
    }
    fn update_many<D: Serialize + Sync>(
        &self,
        model: &str,
        f: Filter,
        data: &D,
    ) -> Result<UpdateManyOutcome, Error> {
        self.models().update_many(model, f, data)
    }
    fn upsert<C: Serialize + Sync, U: Serialize + Sync>(
        &self,
        model: &str,
        f: Filter,
        c: &C,
        u: &U,
    ) -> Result<UpsertOutcome, Error> {
        self.models().upsert(model, f, c, u)
    }
    fn delete_by_id(&self, model: &str, id: &str) -> Result<u64, Error> {
        self.models().delete_by_id(model, id)
    }
    fn delete_record(&self, model: &str, f: Filter) -> Result<u64, Error> {
        self.models().delete_record(model, f)
    }
    fn delete_many(&self, model: &str, f: Filter) -> Result<u64, Error> {
        self.models().delete_many(model, f)
    }
    fn mysql_command<T: DeserializeOwned + Send>(
        &self,
        sql: &str,
        p: SqlParams,
    ) -> Result<MysqlCommandResult<T>, Error> {
        self.models().mysql_command(sql, p)
    }
    fn run_sql_template<T: DeserializeOwned + Send>(
        &self,
        name: &str,
        p: SqlParams,
    ) -> Result<T, Error> {
        self.models().run_sql_template(name, p)
    }
    fn all_records<T: DeserializeOwned + Send + 'static>(
        &self,
        model: &str,
        q: Query,
    ) -> Result<Vec<T>, Error> {
        self.models().records::<T>(model, q)?.collect()
    }
    fn mysql_query<T: DeserializeOwned + Send>(
        &self,
        table: &str,
        f: Pairs<'_>,
    ) -> Result<Vec<T>, Error> {
        self.mysql().query(table, pairs(f))
    }
    fn mysql_insert<D: Serialize + Sync>(&self, table: &str, rows: &D) -> Result<(), Error> {
        self.mysql().insert(table, rows)
    }
    fn mysql_update<D: Serialize + Sync>(
        &self,
        table: &str,
        changes: &D,
        f: Pairs<'_>,
    ) -> Result<(), Error> {
        self.mysql().update(table, changes, pairs(f))
    }
    fn mysql_delete(&self, table: &str, f: Pairs<'_>) -> Result<(), Error> {
        self.mysql().delete(table, pairs(f))
    }
    fn mysql_count(&self, table: &str, f: Pairs<'_>) -> Result<u64, Error> {
        self.mysql().count(table, pairs(f))
    }
}

impl DataClient for AsyncClient {
    fn get_by_id<T: DeserializeOwned + Send>(
        &self,
        env: DataEnv,
        model: &str,
        id: &str,
    ) -> Result<Option<T>, Error> {
        self.runtime
            .block_on(self.client.models().env(env).get_by_id(model, id))
    }
    fn get<T: DeserializeOwned + Send>(&self, model: &str, q: &Query) -> Result<Option<T>, Error> {
        self.runtime.block_on(self.client.models().get(model, q))
    }
    fn list<T: DeserializeOwned + Send>(
        &self,
        env: DataEnv,
        model: &str,
        q: &Query,
    ) -> Result<Page<T>, Error> {
        self.runtime
            .block_on(self.client.models().env(env).list(model, q))
    }
    fn list_simple<T: DeserializeOwned + Send>(
        &self,
        model: &str,
        number: u32,
        size: u32,
        count: bool,
    ) -> Result<Page<T>, Error> {
        let query = cloudbase_core::models::Query::new().page(number, size);
        let query = if count { query.with_count() } else { query };
        self.runtime
            .block_on(self.client.models().list_simple(model, &query))
    }
    fn create<D: Serialize + Sync>(
        &self,
        env: DataEnv,
        model: &str,
        data: &D,
    ) -> Result<String, Error> {
        self.runtime
            .block_on(self.client.models().env(env).create(model, data))
    }
    fn create_many<D: Serialize + Sync>(
        &self,
        model: &str,
        data: &[D],
    ) -> Result<Vec<String>, Error> {
        self.runtime
            .block_on(self.client.models().create_many(model, data))
    }
    fn update<D: Serialize + Sync>(&self, model: &str, f: Filter, data: &D) -> Result<u64, Error> {
        self.runtime
            .block_on(self.client.models().update(model, f, data))
    }
    fn update_many<D: Serialize + Sync>(
        &self,
        model: &str,
        f: Filter,
        data: &D,
    ) -> Result<UpdateManyOutcome, Error> {
        self.runtime
            .block_on(self.client.models().update_many(model, f, data))
    }
    fn upsert<C: Serialize + Sync, U: Serialize + Sync>(
        &self,
        model: &str,
        f: Filter,
        c: &C,
        u: &U,
    ) -> Result<UpsertOutcome, Error> {
        self.runtime
            .block_on(self.client.models().upsert(model, f, c, u))
    }
    fn delete_by_id(&self, model: &str, id: &str) -> Result<u64, Error> {
        self.runtime
            .block_on(self.client.models().delete_by_id(model, id))
    }
    fn delete_record(&self, model: &str, f: Filter) -> Result<u64, Error> {
        self.runtime
            .block_on(self.client.models().delete_record(model, f))
    }
    fn delete_many(&self, model: &str, f: Filter) -> Result<u64, Error> {
        self.runtime
            .block_on(self.client.models().delete_many(model, f))
    }
    fn mysql_command<T: DeserializeOwned + Send>(
        &self,
        sql: &str,
        p: SqlParams,
    ) -> Result<MysqlCommandResult<T>, Error> {
        self.runtime
            .block_on(self.client.models().mysql_command(sql, p))
    }
    fn run_sql_template<T: DeserializeOwned + Send>(
        &self,
        name: &str,
        p: SqlParams,
    ) -> Result<T, Error> {
        self.runtime
            .block_on(self.client.models().run_sql_template(name, p))
    }
    fn all_records<T: DeserializeOwned + Send + 'static>(
        &self,
        model: &str,
        q: Query,
    ) -> Result<Vec<T>, Error> {
        use futures_util::TryStreamExt;
        let stream = self.client.models().records::<T>(model, q)?;
        self.runtime.block_on(stream.try_collect())
    }
    fn mysql_query<T: DeserializeOwned + Send>(
        &self,
        table: &str,
        f: Pairs<'_>,
    ) -> Result<Vec<T>, Error> {
        self.runtime
            .block_on(self.client.mysql().query(table, pairs(f)))
    }
    fn mysql_insert<D: Serialize + Sync>(&self, table: &str, rows: &D) -> Result<(), Error> {
        self.runtime
            .block_on(self.client.mysql().insert(table, rows))
    }
    fn mysql_update<D: Serialize + Sync>(
        &self,
        table: &str,
        changes: &D,
        f: Pairs<'_>,
    ) -> Result<(), Error> {
        self.runtime
            .block_on(self.client.mysql().update(table, changes, pairs(f)))
    }
    fn mysql_delete(&self, table: &str, f: Pairs<'_>) -> Result<(), Error> {
        self.runtime
            .block_on(self.client.mysql().delete(table, pairs(f)))
    }
    fn mysql_count(&self, table: &str, f: Pairs<'_>) -> Result<u64, Error> {
        self.runtime
            .block_on(self.client.mysql().count(table, pairs(f)))
    }
}
