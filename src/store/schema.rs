//! The store's schema: its migrations, applied by `crate::sqlite::migrate` (tracked with
//! `PRAGMA user_version`). Append only: never edit a step that has shipped.

/// Each entry moves the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: captures
    "CREATE TABLE captures (
        id             INTEGER PRIMARY KEY,
        received_at_ms INTEGER NOT NULL,
        method         TEXT    NOT NULL,
        path           TEXT    NOT NULL,
        query          TEXT,
        headers        BLOB    NOT NULL,
        body           BLOB    NOT NULL,
        body_size      INTEGER NOT NULL,
        truncated      INTEGER NOT NULL DEFAULT 0,
        rejected_status INTEGER,
        rejected_reason TEXT,
        peer           TEXT,
        source         TEXT    NOT NULL DEFAULT 'live',
        event_type     TEXT,
        event_id       TEXT,
        verdict        TEXT    NOT NULL,
        verdict_json   TEXT    NOT NULL,
        diagnostics    TEXT
    );
    CREATE INDEX captures_by_verdict ON captures(verdict, id);
    CREATE INDEX captures_by_event ON captures(event_type, id);",
    // 2: forward and replay attempts
    "CREATE TABLE attempts (
        id               INTEGER PRIMARY KEY,
        capture_id       INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
        kind             TEXT    NOT NULL,
        at_ms            INTEGER NOT NULL,
        target           TEXT    NOT NULL,
        resigned         INTEGER NOT NULL,
        sent_body        BLOB,
        status           INTEGER,
        response_headers BLOB    NOT NULL,
        response_body    BLOB    NOT NULL,
        response_truncated INTEGER NOT NULL DEFAULT 0,
        latency_ms       INTEGER,
        error            TEXT
    );
    CREATE INDEX attempts_by_capture ON attempts(capture_id, id);",
    // 3: the signing scheme of each verdict; every signed row so far is Dataspike's. Old
    // verdict_json (no scheme, Dataspike's reason codes) is read by `codec::decode_verdict`.
    "ALTER TABLE captures ADD COLUMN scheme TEXT;
    UPDATE captures SET scheme = 'dataspike' WHERE verdict <> 'unsigned';",
    // 4: full-text search over path and body (`store::search`). External content: the index
    // holds only the words, the text stays in `captures`; triggers keep it in step with every
    // insert, delete and update however it happens. A body is indexed as SQLite reads a BLOB as
    // text: invalid UTF-8 is decoded leniently, so a binary body adds a few stray words and
    // never an error. 'secure-delete' removes a deleted capture's words from the index at once
    // (not only marks them), so `purge` leaves none behind. The attempts index serves
    // `status:5xx` / `status:401`.
    "CREATE VIRTUAL TABLE captures_fts USING fts5(
        path, body, content = 'captures', content_rowid = 'id'
    );
    CREATE TRIGGER captures_fts_insert AFTER INSERT ON captures BEGIN
        INSERT INTO captures_fts (rowid, path, body) VALUES (new.id, new.path, new.body);
    END;
    CREATE TRIGGER captures_fts_delete AFTER DELETE ON captures BEGIN
        INSERT INTO captures_fts (captures_fts, rowid, path, body)
            VALUES ('delete', old.id, old.path, old.body);
    END;
    CREATE TRIGGER captures_fts_update AFTER UPDATE OF path, body ON captures BEGIN
        INSERT INTO captures_fts (captures_fts, rowid, path, body)
            VALUES ('delete', old.id, old.path, old.body);
        INSERT INTO captures_fts (rowid, path, body) VALUES (new.id, new.path, new.body);
    END;
    INSERT INTO captures_fts (captures_fts, rank) VALUES ('secure-delete', 1);
    INSERT INTO captures_fts (captures_fts) VALUES ('rebuild');
    CREATE INDEX attempts_by_status_class ON attempts(status / 100, capture_id);",
    // 5: where a relayed capture came from; at most one capture per relay channel + sequence
    "ALTER TABLE captures ADD COLUMN relay_url TEXT;
    ALTER TABLE captures ADD COLUMN relay_channel TEXT;
    ALTER TABLE captures ADD COLUMN relay_seq INTEGER;
    ALTER TABLE captures ADD COLUMN relay_received_at_ms INTEGER;
    ALTER TABLE captures ADD COLUMN relay_verdict TEXT;
    CREATE UNIQUE INDEX captures_by_relay ON captures(relay_channel, relay_seq)
        WHERE relay_channel IS NOT NULL;",
    // 6: the headers a replay really sent (re-signed, edited), for show and the HAR export.
    "ALTER TABLE attempts ADD COLUMN sent_headers BLOB;",
    // 7: the route a live delivery took (its name in hookscope.toml, or its prefix); NULL when
    // none took it or nothing was forwarded.
    "ALTER TABLE captures ADD COLUMN route TEXT;",
    // 8: the full-text index leaves the capture's own transaction (`store::text_index`): a
    // capture is committed unindexed and indexed soon after, in chunks, up to a mark. Every
    // capture so far was indexed by the insert trigger. Only an indexed capture's words are
    // deleted from the index. Captures have no AUTOINCREMENT, so once the newest ones are
    // deleted their ids come back: the mark follows the highest id down (after the deleted
    // row's words, in the same trigger, so an indexed row's words always go), or a reused id
    // would count as indexed.
    "CREATE TABLE fts_progress (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_upto INTEGER NOT NULL
    );
    INSERT INTO fts_progress (id, indexed_upto)
        VALUES (1, coalesce((SELECT max(id) FROM captures), 0));
    DROP TRIGGER captures_fts_insert;
    DROP TRIGGER captures_fts_delete;
    DROP TRIGGER captures_fts_update;
    CREATE TRIGGER captures_fts_delete AFTER DELETE ON captures BEGIN
        INSERT INTO captures_fts (captures_fts, rowid, path, body)
            SELECT 'delete', old.id, old.path, old.body
             WHERE old.id <= (SELECT indexed_upto FROM fts_progress WHERE id = 1);
        UPDATE fts_progress SET indexed_upto = coalesce((SELECT max(id) FROM captures), 0)
         WHERE id = 1 AND indexed_upto > coalesce((SELECT max(id) FROM captures), 0);
    END;
    CREATE TRIGGER captures_fts_update AFTER UPDATE OF path, body ON captures
        WHEN old.id <= (SELECT indexed_upto FROM fts_progress WHERE id = 1) BEGIN
        INSERT INTO captures_fts (captures_fts, rowid, path, body)
            VALUES ('delete', old.id, old.path, old.body);
        INSERT INTO captures_fts (rowid, path, body) VALUES (new.id, new.path, new.body);
    END;",
    // 9: Dataspike's own facts about a delivery pulled from its webhook history (`hookscope
    // dataspike history`, `store::dataspike`): one row per such capture, deleted with it. The
    // recognised members in columns (queried by `delivery:`), every member as received in
    // `facts`; one row per API, webhook and entry, so pulling twice stores nothing twice.
    "CREATE TABLE dataspike_deliveries (
        capture_id      INTEGER PRIMARY KEY REFERENCES captures(id) ON DELETE CASCADE,
        api             TEXT    NOT NULL,
        entry_id        TEXT    NOT NULL,
        webhook_id      TEXT    NOT NULL DEFAULT '',
        attempts        INTEGER,
        response_code   INTEGER,
        last_attempt_at TEXT,
        failed          INTEGER,
        facts           TEXT    NOT NULL
    );
    CREATE UNIQUE INDEX dataspike_deliveries_by_entry
        ON dataspike_deliveries(api, webhook_id, entry_id);",
    // 10: redeliveries linked by the sender's event id (`redelivery::event_key`), and how the
    // listener answered each sender (`capture::Answered`: a chosen status, an ack, or the
    // app's answer, which is its forward attempt's). Captures stored before have neither: no
    // backfill, which would rewrite every row, body and all.
    "ALTER TABLE captures ADD COLUMN event_key TEXT;
    ALTER TABLE captures ADD COLUMN answer_by TEXT;
    ALTER TABLE captures ADD COLUMN answer_status INTEGER;
    ALTER TABLE captures ADD COLUMN answer_delay_ms INTEGER;
    CREATE INDEX captures_by_event_key ON captures(event_key, id) WHERE event_key IS NOT NULL;",
];

#[cfg(test)]
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings this store's schema up to version `to` (tests build old stores with it).
#[cfg(test)]
pub fn migrate(conn: &mut rusqlite::Connection, to: i64) -> rusqlite::Result<()> {
    crate::sqlite::migrate::apply(conn, MIGRATIONS, to)
}

#[cfg(test)]
pub(crate) use crate::sqlite::migrate::version;
