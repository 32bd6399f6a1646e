//! SQLite-backed state: users and refresh tokens.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

/// A user row.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: String,
    pub kind: String,
    pub created_at: i64,
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        kind: r.get(1)?,
        created_at: r.get(2)?,
    })
}

pub(crate) struct Store {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    device_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS users_device ON users(device_id, kind);
CREATE TABLE IF NOT EXISTS revoked_access_tokens (
    token TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
";

impl Store {
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Self> {
        let conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }

    pub fn reset(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch(
            "DELETE FROM refresh_tokens; DELETE FROM revoked_access_tokens; DELETE FROM users;",
        )
    }

    /// The anonymous user bound to this device, created on first sight. (Whether the
    /// real service reuses the user per device is unconfirmed; the JS SDK keeping a
    /// stable `x-device-id` for re-sign-in suggests it does.)
    pub fn anonymous_user(
        &mut self,
        device_id: &str,
        new_id: String,
        now: i64,
    ) -> rusqlite::Result<User> {
        let found = self
            .conn
            .query_row(
                "SELECT id, kind, created_at FROM users WHERE device_id = ?1 AND kind = 'anonymous'",
                params![device_id],
                user_from_row,
            )
            .optional()?;
        if let Some(user) = found {
            return Ok(user);
        }
        self.conn.execute(
            "INSERT INTO users (id, kind, device_id, created_at) VALUES (?1, 'anonymous', ?2, ?3)",
            params![new_id, device_id, now],
        )?;
        Ok(User {
            id: new_id,
            kind: "anonymous".to_owned(),
            created_at: now,
        })
    }

    pub fn user(&self, id: &str) -> rusqlite::Result<Option<User>> {
        self.conn
            .query_row(
                "SELECT id, kind, created_at FROM users WHERE id = ?1",
                params![id],
                user_from_row,
            )
            .optional()
    }

    pub fn save_refresh_token(
        &mut self,
        token: &str,
        user_id: &str,
        scope: &str,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO refresh_tokens (token, user_id, scope, issued_at) VALUES (?1, ?2, ?3, ?4)",
            params![token, user_id, scope, now],
        )?;
        Ok(())
    }

    /// Marks a refresh token used (rotation). A token presented twice is reuse: every
    /// refresh token of its user is revoked (OAuth 2.0 security BCP).
    pub fn consume_refresh_token(&mut self, token: &str) -> rusqlite::Result<Consumed> {
        let row: Option<(String, String, i64)> = self
            .conn
            .query_row(
                "SELECT user_id, scope, used FROM refresh_tokens WHERE token = ?1",
                params![token],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match row {
            None => Ok(Consumed::Unknown),
            Some((user_id, _, used)) if used != 0 => {
                self.revoke_refresh_tokens(&user_id)?;
                Ok(Consumed::Reused)
            }
            Some((user_id, scope, _)) => {
                self.conn.execute(
                    "UPDATE refresh_tokens SET used = 1 WHERE token = ?1",
                    params![token],
                )?;
                Ok(Consumed::Valid { user_id, scope })
            }
        }
    }

    /// Deletes every refresh token of a user (sign-out, reuse detection).
    pub fn revoke_refresh_tokens(&mut self, user_id: &str) -> rusqlite::Result<usize> {
        self.conn.execute(
            "DELETE FROM refresh_tokens WHERE user_id = ?1",
            params![user_id],
        )
    }

    /// Deletes every refresh token (a test hook: the next refresh gets `invalid_grant`).
    pub fn revoke_all_refresh_tokens(&mut self) -> rusqlite::Result<usize> {
        self.conn.execute("DELETE FROM refresh_tokens", [])
    }

    pub fn revoke_access_token(&mut self, token: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO revoked_access_tokens (token) VALUES (?1)",
            params![token],
        )?;
        Ok(())
    }

    pub fn is_access_token_revoked(&self, token: &str) -> rusqlite::Result<bool> {
        self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE token = ?1)",
            params![token],
            |r| r.get(0),
        )
    }
}

/// The outcome of presenting a refresh token.
pub(crate) enum Consumed {
    Valid { user_id: String, scope: String },
    Unknown,
    Reused,
}
