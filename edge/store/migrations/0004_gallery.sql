-- Revisions on face_templates, so the in-memory face gallery reloads only what changed.
--
-- Every insert or update of a face_templates row stamps it with the next `rev` from a
-- counter that never goes back (a max(rev)+1 would: INSERT OR REPLACE deletes the row
-- before inserting it, and a later hard DELETE can remove the highest rev). Tombstones
-- are ordinary rows, so they carry a rev too. A hard DELETE (a snapshot rebuild empties
-- the table) leaves a row in face_templates_removed with its own rev; inserting that id
-- again drops it. A reader keeps the highest rev it has seen and asks for rows above it
-- from both tables in one statement (one snapshot): edge.vision.faces.gallery_store.
--
-- REPLACE fires the delete trigger only with PRAGMA recursive_triggers on (off here);
-- either way the insert that follows gets a newer rev, so readers see the row's last state.

ALTER TABLE face_templates ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;

-- The last rev handed out: one row.
CREATE TABLE face_templates_rev (
    only  INTEGER PRIMARY KEY CHECK (only = 1),
    rev   INTEGER NOT NULL
);

CREATE TABLE face_templates_removed (
    id   TEXT    PRIMARY KEY,                   -- a face_templates id that was hard-deleted
    rev  INTEGER NOT NULL
);
CREATE INDEX face_templates_removed_rev ON face_templates_removed (rev);

-- Rows already there (a store made before this migration) get distinct revs: their rowids.
UPDATE face_templates SET rev = rowid;
INSERT INTO face_templates_rev (only, rev) SELECT 1, coalesce(max(rev), 0) FROM face_templates;
CREATE INDEX face_templates_rev_order ON face_templates (rev);

CREATE TRIGGER face_templates_rev_on_insert AFTER INSERT ON face_templates
BEGIN
    UPDATE face_templates_rev SET rev = rev + 1;
    UPDATE face_templates SET rev = (SELECT rev FROM face_templates_rev) WHERE rowid = NEW.rowid;
    DELETE FROM face_templates_removed WHERE id = NEW.id;
END;

-- The WHEN keeps the triggers' own rev stamp from counting as another update.
CREATE TRIGGER face_templates_rev_on_update AFTER UPDATE ON face_templates WHEN NEW.rev = OLD.rev
BEGIN
    UPDATE face_templates_rev SET rev = rev + 1;
    UPDATE face_templates SET rev = (SELECT rev FROM face_templates_rev) WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER face_templates_rev_on_delete AFTER DELETE ON face_templates
BEGIN
    UPDATE face_templates_rev SET rev = rev + 1;
    INSERT OR REPLACE INTO face_templates_removed (id, rev) VALUES (OLD.id, (SELECT rev FROM face_templates_rev));
END;
