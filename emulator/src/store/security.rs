//! What the security routes need from the auth store: the tokens issued per user and
//! device (so that "sign out everywhere" and "revoke this device" can revoke them),
//! and the history of sign-ins.

use rusqlite::params;

use super::Store;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS issued_tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    device_id TEXT,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS issued_tokens_user ON issued_tokens(user_id, device_id);
CREATE TABLE IF NOT EXISTS security_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    client_id TEXT,
    device_id TEXT,
    created_at INTEGER NOT NULL
);
";

pub(super) const RESET: &str = "DELETE FROM issued_tokens; DELETE FROM security_events;";

/// One recorded event, as `GET /user/security/history` answers it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct SecurityEvent {
    pub id: String,
    pub action: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub client_id: Option<String>,
    pub device_id: Option<String>,
    pub created_at: i64,
    #[serde(skip)]
    pub seq: i64,
}

/// Where an event came from.
pub(crate) struct EventSource<'a> {
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub client_id: &'a str,
    pub device_id: Option<&'a str>,
}

impl Store {
    /// Remembers a token issued to `user_id` on `device_id` until `expires_at`, and
    /// forgets the user's access tokens that have expired by `now` (nothing is left
    /// to revoke in them), so the table does not grow with every sign-in.
    pub fn record_issued(
        &mut self,
        token: &str,
        kind: &str,
        user_id: &str,
        device_id: Option<&str>,
        expires_at: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "DELETE FROM issued_tokens WHERE user_id = ?1 AND kind = 'access' AND expires_at < ?2",
            params![user_id, now],
        )?;
        self.conn.execute(
            "INSERT OR REPLACE INTO issued_tokens (token, kind, user_id, device_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token, kind, user_id, device_id, expires_at],
        )?;
        Ok(())
    }

    /// Revokes every access and refresh token of `user_id` (on `device_id` only, when
    /// given); answers how many were live.
    pub fn revoke_issued(
        &mut self,
        user_id: &str,
        device_id: Option<&str>,
    ) -> rusqlite::Result<usize> {
        let tx = self.conn.transaction()?;
        let filter = "user_id = ?1 AND (?2 IS NULL OR device_id = ?2)";
        tx.execute(
            &format!(
                "INSERT OR IGNORE INTO revoked_access_tokens (token) SELECT token FROM issued_tokens WHERE kind = 'access' AND {filter}"
            ),
            params![user_id, device_id],
        )?;
        tx.execute(
            &format!(
                "DELETE FROM refresh_tokens WHERE token IN (SELECT token FROM issued_tokens WHERE kind = 'refresh' AND {filter})"
            ),
            params![user_id, device_id],
        )?;
        let n = tx.execute(
            &format!("DELETE FROM issued_tokens WHERE {filter}"),
            params![user_id, device_id],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Records `action` for `user_id`.
    pub fn record_event(
        &mut self,
        id: &str,
        user_id: &str,
        action: &str,
        source: &EventSource<'_>,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO security_events (id, user_id, action, ip, user_agent, client_id, device_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, user_id, action, source.ip, source.user_agent, source.client_id, source.device_id, now],
        )?;
        Ok(())
    }

    /// Up to `limit` events of `user_id`, newest first, whose action is (or, with
    /// `negate`, is not) `action`, older than the event `before` (a page token).
    pub fn events(
        &self,
        user_id: &str,
        action: &str,
        negate: bool,
        limit: i64,
        before: Option<i64>,
    ) -> rusqlite::Result<Vec<SecurityEvent>> {
        let op = if negate { "<>" } else { "=" };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT seq, id, action, ip, user_agent, client_id, device_id, created_at FROM security_events
             WHERE user_id = ?1 AND action {op} ?2 AND (?3 IS NULL OR seq < ?3) ORDER BY seq DESC LIMIT ?4"
        ))?;
        stmt.query_map(params![user_id, action, before, limit], |r| {
            Ok(SecurityEvent {
                seq: r.get(0)?,
                id: r.get(1)?,
                action: r.get(2)?,
                ip: r.get(3)?,
                user_agent: r.get(4)?,
                client_id: r.get(5)?,
                device_id: r.get(6)?,
                created_at: r.get(7)?,
            })
        })?
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_access_tokens_are_forgotten_as_new_ones_are_issued() {
        let mut store = Store::open(None).unwrap();
        let count = |s: &Store| -> i64 {
            s.conn
                .query_row("SELECT COUNT(*) FROM issued_tokens", [], |r| r.get(0))
                .unwrap()
        };
        store
            .record_issued("a1", "access", "u", None, 100, 50)
            .unwrap();
        store
            .record_issued("r1", "refresh", "u", None, i64::MAX, 50)
            .unwrap();
        store
            .record_issued("a2", "access", "u", None, 300, 200)
            .unwrap();
        assert_eq!(
            count(&store),
            2,
            "a1 expired at 100 and is gone; r1 and a2 stay"
        );
        store
            .record_issued("b1", "access", "v", None, 150, 200)
            .unwrap();
        assert_eq!(count(&store), 3, "only the issuing user's rows are pruned");
    }
}
