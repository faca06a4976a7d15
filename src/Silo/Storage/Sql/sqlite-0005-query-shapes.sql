-- Fleet schema version 5 on SQLite: what GET /api/devices needs to answer a filtered page over
-- 300k devices within 50 ms (docs/benchmarks.md, P6). Measured before: online=false 277 ms, q= a
-- rare text 540 ms, bbox 305 ms - each read every matching row and sorted them, or read the
-- whole table.
--
-- Idempotent: SchemaInstaller runs it on every start after the scripts before it.

BEGIN IMMEDIATE;

-- online=… pages come in id order: read them in that order and stop after the page.
CREATE INDEX IF NOT EXISTS fleet_devices_online_id ON fleet_devices (online, id, kind);

-- q= is "contains": a trigram index finds the devices whose search text contains the words
-- without reading every row. FTS5 tables are keyed by an integer, fleet_devices by (kind, id):
-- fleet_device_search_keys gives every device its integer, and triggers keep both in step with
-- fleet_devices however it is written (live writer, rebuild, sweep).
CREATE TABLE IF NOT EXISTS fleet_device_search_keys
(
    rid  INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    UNIQUE (kind, id)
);

CREATE VIRTUAL TABLE IF NOT EXISTS fleet_device_search USING fts5(search, tokenize = 'trigram');

CREATE TRIGGER IF NOT EXISTS fleet_devices_search_insert AFTER INSERT ON fleet_devices
BEGIN
    INSERT OR IGNORE INTO fleet_device_search_keys (kind, id) VALUES (new.kind, new.id);
    INSERT INTO fleet_device_search (rowid, search)
        SELECT rid, new.search FROM fleet_device_search_keys WHERE kind = new.kind AND id = new.id;
END;

CREATE TRIGGER IF NOT EXISTS fleet_devices_search_update AFTER UPDATE OF search ON fleet_devices
    WHEN old.search IS NOT new.search
BEGIN
    UPDATE fleet_device_search SET search = new.search
        WHERE rowid = (SELECT rid FROM fleet_device_search_keys WHERE kind = new.kind AND id = new.id);
END;

CREATE TRIGGER IF NOT EXISTS fleet_devices_search_delete AFTER DELETE ON fleet_devices
BEGIN
    DELETE FROM fleet_device_search
        WHERE rowid = (SELECT rid FROM fleet_device_search_keys WHERE kind = old.kind AND id = old.id);
    DELETE FROM fleet_device_search_keys WHERE kind = old.kind AND id = old.id;
END;

-- The devices indexed before this script: once, while the key table is still empty.
INSERT INTO fleet_device_search_keys (kind, id)
    SELECT kind, id FROM fleet_devices WHERE NOT EXISTS (SELECT 1 FROM fleet_device_search_keys);
INSERT INTO fleet_device_search (rowid, search)
    SELECT k.rid, d.search FROM fleet_device_search_keys k JOIN fleet_devices d ON d.kind = k.kind AND d.id = k.id
    WHERE NOT EXISTS (SELECT 1 FROM fleet_device_search LIMIT 1);

PRAGMA user_version = 5;

COMMIT;
