-- What the district sends down, cached on the box: residents, face templates, grants,
-- config overrides and broadcasts. Written only by edge.downlink, one verified page per
-- transaction together with its cursor (sync_state key 'downlink.cursor'); a snapshot
-- rebuild replaces every row of these tables. A delete leaves a tombstone (deleted = 1,
-- data cleared) so readers see the item is gone; updated_at is when the box applied it.

CREATE TABLE residents (
    id          TEXT    PRIMARY KEY,
    data        TEXT    NOT NULL DEFAULT '{}',     -- JSON object as the district sent it
    updated_at  TEXT    NOT NULL,                  -- RFC 3339 UTC
    deleted     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE face_templates (
    id             TEXT    PRIMARY KEY,            -- the template's id in the district
    person_id      TEXT,                           -- the resident it belongs to
    model_id       TEXT,                           -- model that produced `embedding`
    embedding      BLOB,                           -- float32 little-endian; NULL until embedded
    dims           INTEGER,                        -- floats in `embedding`
    photo          BLOB,                           -- photo bytes, when sent inline
    photo_ref      TEXT,                           -- or where to get them (URL / sha256), as sent
    source_sha256  TEXT,                           -- sha256 of the photo the template comes from
    pending        INTEGER NOT NULL DEFAULT 0,     -- 1: a photo waits to be embedded on the box
    enrolled_at    TEXT,
    data           TEXT    NOT NULL DEFAULT '{}',  -- the rest of the change's data (JSON)
    updated_at     TEXT    NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0      -- tombstone: biometric columns cleared
);
CREATE INDEX face_templates_person ON face_templates (person_id);
CREATE INDEX face_templates_pending ON face_templates (pending) WHERE pending = 1;

CREATE TABLE grants (
    id          TEXT    PRIMARY KEY,
    data        TEXT    NOT NULL DEFAULT '{}',
    updated_at  TEXT    NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE config_overrides (
    id          TEXT    PRIMARY KEY,
    data        TEXT    NOT NULL DEFAULT '{}',
    updated_at  TEXT    NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE broadcasts (
    id          TEXT    PRIMARY KEY,
    data        TEXT    NOT NULL DEFAULT '{}',
    updated_at  TEXT    NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
);
