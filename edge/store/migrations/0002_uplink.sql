-- Delivery bookkeeping for the outbox, drops made visible, and sync state.
ALTER TABLE outbox ADD COLUMN reason TEXT;          -- why the district rejected it (state = 'dead')

-- Ranges of events dropped from the outbox (cap or TTL), until reported upward.
CREATE TABLE outbox_drops (
    id        INTEGER PRIMARY KEY,
    from_seq  INTEGER NOT NULL,
    to_seq    INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    types     TEXT    NOT NULL,                      -- JSON list
    reason    TEXT    NOT NULL,                      -- 'cap' | 'ttl'
    at        TEXT    NOT NULL,
    reported  INTEGER NOT NULL DEFAULT 0
);

-- Media files still to be uploaded; ready once their event's metadata is accepted.
CREATE TABLE media_outbox (
    sha256    TEXT PRIMARY KEY REFERENCES media (sha256),
    ready     INTEGER NOT NULL DEFAULT 0,
    attempts  INTEGER NOT NULL DEFAULT 0
);

-- Cursors and other small state of the district sync.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
