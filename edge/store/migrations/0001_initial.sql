-- Events, their outbox rows, the media index and box metadata.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,          -- per box, from 1, gap-free
    event_id     TEXT    NOT NULL UNIQUE,      -- UUID
    type         TEXT    NOT NULL,
    priority     INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
    occurred_at  TEXT    NOT NULL,             -- RFC 3339 UTC
    clock_synced INTEGER NOT NULL,
    device_id    TEXT,
    data         TEXT    NOT NULL,             -- JSON object
    media        TEXT    NOT NULL DEFAULT '[]' -- JSON list of media refs
);
CREATE INDEX events_type ON events (type, seq);

-- One row per event still to be sent upward; written with the event.
CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY REFERENCES events (seq),
    priority  INTEGER NOT NULL,
    bytes     INTEGER NOT NULL,
    state     TEXT    NOT NULL DEFAULT 'pending',  -- pending | dead
    attempts  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_next ON outbox (state, priority, seq);

-- Files kept under <data_dir>/media, named by their sha256.
CREATE TABLE media (
    sha256       TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    bytes        INTEGER NOT NULL,
    created_at   TEXT    NOT NULL
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
