//! SQLite-backed state: users and refresh tokens.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

mod security;
pub(crate) use security::EventSource;

/// A user row.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: String,
    pub kind: String,
    pub created_at: i64,
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub picture: Option<String>,
    pub gender: Option<String>,
    pub description: Option<String>,
}

/// A code sent by the emulator, as tests read it from the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct OutboxMessage {
    /// The email address or `+CC NNNN` phone number it went to.
    pub to: String,
    /// The 6-digit code.
    pub code: String,
    /// The verification id it belongs to.
    pub verification_id: String,
    /// When it was sent (emulator clock, Unix seconds).
    pub sent_at: i64,
}

/// A pending verification.
pub(crate) struct Verification {
    pub contact: String,
    pub code: String,
    pub expires_at: i64,
    pub used: bool,
    pub superseded: bool,
}

const USER_COLUMNS: &str = "id, kind, created_at, username, email, phone, name, password_hash, picture, gender, description";

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        kind: r.get(1)?,
        created_at: r.get(2)?,
        username: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        name: r.get(6)?,
        password_hash: r.get(7)?,
        picture: r.get(8)?,
        gender: r.get(9)?,
        description: r.get(10)?,
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
    created_at INTEGER NOT NULL,
    username TEXT UNIQUE,
    email TEXT UNIQUE,
    phone TEXT UNIQUE,
    name TEXT,
    password_hash TEXT,
    picture TEXT,
    gender TEXT,
    description TEXT
);
CREATE TABLE IF NOT EXISTS identities (
    provider_id TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT,
    PRIMARY KEY (provider_id, provider_user_id)
);
CREATE TABLE IF NOT EXISTS sudo_tokens (
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS verifications (
    id TEXT PRIMARY KEY,
    contact TEXT NOT NULL,
    code TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS verification_tokens (
    token TEXT PRIMARY KEY,
    contact TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    code TEXT NOT NULL,
    verification_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL
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
        conn.execute_batch(security::SCHEMA)?;
        Ok(Self { conn })
    }

    pub fn reset(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch(
            "DELETE FROM refresh_tokens; DELETE FROM revoked_access_tokens; DELETE FROM users;
             DELETE FROM verifications; DELETE FROM verification_tokens; DELETE FROM outbox;
             DELETE FROM identities; DELETE FROM sudo_tokens;",
        )?;
        self.conn.execute_batch(security::RESET)
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
                &format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE device_id = ?1 AND kind = 'anonymous'"
                ),
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
            username: None,
            email: None,
            phone: None,
            name: Some("anonymous".to_owned()),
            password_hash: None,
            picture: None,
            gender: None,
            description: None,
        })
    }

    pub fn user(&self, id: &str) -> rusqlite::Result<Option<User>> {
        self.conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
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

    /// A user by login name, email or phone (whichever matches).
    pub fn find_user(&self, login: &str) -> rusqlite::Result<Option<User>> {
        self.conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1 OR email = ?1 OR phone = ?1"),
                params![login],
                user_from_row,
            )
            .optional()
    }

    /// Creates a registered user.
    pub fn create_user(&mut self, user: &User) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO users (id, kind, created_at, username, email, phone, name, password_hash,
                                picture, gender, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                user.id,
                user.kind,
                user.created_at,
                user.username,
                user.email,
                user.phone,
                user.name,
                user.password_hash,
                user.picture,
                user.gender,
                user.description
            ],
        )?;
        Ok(())
    }

    /// Codes sent to `contact` since `since` (for the rate limit).
    pub fn sent_since(&self, contact: &str, since: i64) -> rusqlite::Result<u32> {
        self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE recipient = ?1 AND sent_at >= ?2",
            params![contact, since],
            |r| r.get(0),
        )
    }

    /// Records a new code for `contact`; earlier pending codes for it stop working.
    pub fn create_verification(
        &mut self,
        id: &str,
        contact: &str,
        code: &str,
        now: i64,
        expires_at: i64,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE verifications SET superseded = 1 WHERE contact = ?1 AND used = 0",
            params![contact],
        )?;
        tx.execute(
            "INSERT INTO verifications (id, contact, code, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, contact, code, expires_at],
        )?;
        tx.execute(
            "INSERT INTO outbox (recipient, code, verification_id, sent_at) VALUES (?1, ?2, ?3, ?4)",
            params![contact, code, id, now],
        )?;
        tx.commit()
    }

    pub fn verification(&self, id: &str) -> rusqlite::Result<Option<Verification>> {
        self.conn
            .query_row(
                "SELECT contact, code, expires_at, used, superseded FROM verifications WHERE id = ?1",
                params![id],
                |r| {
                    Ok(Verification {
                        contact: r.get(0)?,
                        code: r.get(1)?,
                        expires_at: r.get(2)?,
                        used: r.get(3)?,
                        superseded: r.get(4)?,
                    })
                },
            )
            .optional()
    }

    /// Marks the verification used and issues its token.
    pub fn complete_verification(
        &mut self,
        id: &str,
        token: &str,
        contact: &str,
        expires_at: i64,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE verifications SET used = 1 WHERE id = ?1",
            params![id],
        )?;
        tx.execute(
            "INSERT INTO verification_tokens (token, contact, expires_at) VALUES (?1, ?2, ?3)",
            params![token, contact, expires_at],
        )?;
        tx.commit()
    }

    /// The contact a valid, unused verification token proves, marking it used.
    pub fn consume_verification_token(
        &mut self,
        token: &str,
        now: i64,
    ) -> rusqlite::Result<Option<String>> {
        let contact: Option<String> = self
            .conn
            .query_row(
                "SELECT contact FROM verification_tokens WHERE token = ?1 AND used = 0 AND expires_at > ?2",
                params![token, now],
                |r| r.get(0),
            )
            .optional()?;
        if contact.is_some() {
            self.conn.execute(
                "UPDATE verification_tokens SET used = 1 WHERE token = ?1",
                params![token],
            )?;
        }
        Ok(contact)
    }

    /// Sets one profile column (`column` comes from a fixed list, never from input).
    pub fn set_user_field(
        &mut self,
        user_id: &str,
        column: &'static str,
        value: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            &format!("UPDATE users SET {column} = ?1 WHERE id = ?2"),
            params![value, user_id],
        )?;
        Ok(())
    }

    /// Deletes a user with their tokens and identities.
    pub fn delete_user(&mut self, user_id: &str) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        for table in [
            "users WHERE id",
            "refresh_tokens WHERE user_id",
            "identities WHERE user_id",
            "sudo_tokens WHERE user_id",
        ] {
            tx.execute(&format!("DELETE FROM {table} = ?1"), params![user_id])?;
        }
        tx.commit()
    }

    /// Whether `contact` was verified (a verification token issued, used or not)
    /// and that proof has not expired.
    pub fn recently_verified(&self, contact: &str, now: i64) -> rusqlite::Result<bool> {
        self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM verification_tokens WHERE contact = ?1 AND expires_at > ?2)",
            params![contact, now],
            |r| r.get(0),
        )
    }

    pub fn save_sudo_token(
        &mut self,
        token: &str,
        user_id: &str,
        expires_at: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO sudo_tokens (token, user_id, expires_at) VALUES (?1, ?2, ?3)",
            params![token, user_id, expires_at],
        )?;
        Ok(())
    }

    /// Whether `token` is an unexpired sudo token of `user_id`.
    pub fn sudo_valid(&self, token: &str, user_id: &str, now: i64) -> rusqlite::Result<bool> {
        self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sudo_tokens WHERE token = ?1 AND user_id = ?2 AND expires_at > ?3)",
            params![token, user_id, now],
            |r| r.get(0),
        )
    }

    /// Users matching every given criterion.
    pub fn query_users(&self, criteria: &[(&'static str, String)]) -> rusqlite::Result<Vec<User>> {
        let filter: Vec<String> = criteria
            .iter()
            .enumerate()
            .map(|(i, (column, _))| format!("{column} = ?{}", i + 1))
            .collect();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE kind != 'anonymous' AND {} ORDER BY created_at LIMIT 100",
            filter.join(" AND ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let values = rusqlite::params_from_iter(criteria.iter().map(|(_, v)| v.as_str()));
        let rows = stmt.query_map(values, user_from_row)?;
        rows.collect()
    }

    /// The user an identity is bound to.
    pub fn identity_user(
        &self,
        provider_id: &str,
        provider_user_id: &str,
    ) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT user_id FROM identities WHERE provider_id = ?1 AND provider_user_id = ?2",
                params![provider_id, provider_user_id],
                |r| r.get(0),
            )
            .optional()
    }

    pub fn bind_identity(
        &mut self,
        provider_id: &str,
        provider_user_id: &str,
        user_id: &str,
        name: &str,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO identities (provider_id, provider_user_id, user_id, name) VALUES (?1, ?2, ?3, ?4)",
            params![provider_id, provider_user_id, user_id, name],
        )?;
        Ok(())
    }

    /// Unbinds; the number of identities removed.
    pub fn unbind_identity(&mut self, provider_id: &str, user_id: &str) -> rusqlite::Result<usize> {
        self.conn.execute(
            "DELETE FROM identities WHERE provider_id = ?1 AND user_id = ?2",
            params![provider_id, user_id],
        )
    }

    /// `(provider_id, provider user name)` of every identity bound to `user_id`.
    pub fn identities_of(&self, user_id: &str) -> rusqlite::Result<Vec<(String, String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT provider_id, provider_user_id, COALESCE(name, '') FROM identities WHERE user_id = ?1 ORDER BY provider_id",
        )?;
        let rows = stmt.query_map(params![user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    pub fn outbox(&self) -> rusqlite::Result<Vec<OutboxMessage>> {
        let mut stmt = self
            .conn
            .prepare("SELECT recipient, code, verification_id, sent_at FROM outbox ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok(OutboxMessage {
                to: r.get(0)?,
                code: r.get(1)?,
                verification_id: r.get(2)?,
                sent_at: r.get(3)?,
            })
        })?;
        rows.collect()
    }
}

/// The outcome of presenting a refresh token.
pub(crate) enum Consumed {
    Valid { user_id: String, scope: String },
    Unknown,
    Reused,
}
