-- Fleet grain persistence on SQLite (Orleans ADO.NET invariant "System.Data.SQLite", served by
-- Microsoft.Data.Sqlite). SQLite carries grain state (plus Fleet's API keys and audit log, version 2)
-- only: clustering and reminders live elsewhere.
--
-- Idempotent: SchemaInstaller runs this whole file on every silo start. Change a query by editing
-- its row below (INSERT OR REPLACE refreshes it); change a table only by adding statements that
-- are safe to repeat, and raise user_version.
--
-- What the Orleans 10.4.2 grain storage provider expects of the queries it loads from OrleansQuery:
--   parameters  @ServiceId @GrainTypeString @GrainIdN0 @GrainIdN1 @GrainIdExtensionString
--               (+ @GrainIdHash @GrainTypeHash, unused here: the primary key does their job)
--               write/clear/delete also @GrainStateVersion (NULL = the grain has never seen a row),
--               write also @PayloadBinary
--   read        zero or one row: PayloadBinary (NULL = cleared), Version
--   write       one row NewGrainStateVersion on success, no row on a version conflict
--   clear       first column = the new version on success, no row on a conflict
--   delete      first column = anything but the old version on success, no row on a conflict
-- @GrainTypeString is the state name qualified by the grain type (FleetGrainStorage does that), so
-- a lamp "42" and a meter "42" never share a row.

-- WAL lets readers run while the single write lane commits. It is stored in the file, so it holds
-- for every later connection. It cannot change inside a transaction, so it comes first.
PRAGMA journal_mode = WAL;

BEGIN IMMEDIATE;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS fleet_grain_state
(
    service_id   TEXT    NOT NULL,
    grain_type   TEXT    NOT NULL, -- "<state name>@<grain type>"
    grain_id_n0  INTEGER NOT NULL, -- Guid keys: first 8 bytes; otherwise 0
    grain_id_n1  INTEGER NOT NULL, -- Guid keys: last 8 bytes; integer keys: the key; otherwise 0
    grain_id_ext TEXT    NOT NULL, -- string key, or the key extension; '' when there is none
    payload      BLOB,             -- NULL once the state is cleared
    version      INTEGER NOT NULL, -- the ETag; +1 on every write and clear
    modified_at  TEXT    NOT NULL, -- UTC, ISO 8601
    PRIMARY KEY (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
);

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM fleet_grain_state
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '''');
'),

-- One statement, so it is atomic without a transaction. A grain that has never seen a row
-- (@GrainStateVersion NULL) may only insert; a grain holding version N may only move N to N+1.
-- The SELECT finds a candidate row only in those two cases; the conflict clause turns the second
-- into an update guarded by the version, and RETURNING yields no row when the guard fails.
('WriteToStorageKey', '
INSERT INTO fleet_grain_state
    (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext, payload, version, modified_at)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString, ''''),
       @PayloadBinary, 1, strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE @GrainStateVersion IS NULL
   OR EXISTS (SELECT 1 FROM fleet_grain_state
              WHERE service_id = @ServiceId
                AND grain_type = @GrainTypeString
                AND grain_id_n0 = @GrainIdN0
                AND grain_id_n1 = @GrainIdN1
                AND grain_id_ext = COALESCE(@GrainIdExtensionString, ''''))
ON CONFLICT (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext) DO UPDATE
SET payload = excluded.payload,
    version = fleet_grain_state.version + 1,
    modified_at = excluded.modified_at
WHERE fleet_grain_state.version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion;
'),

-- Clearing keeps the row (and its version) so a later write from a stale activation still conflicts.
('ClearStorageKey', '
UPDATE fleet_grain_state
SET payload = NULL,
    version = version + 1,
    modified_at = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version;
'),

-- Used only with DeleteStateOnClear = true. Returns old version + 1: the provider treats a result
-- equal to the ETag of the grain as a conflict.
('DeleteStorageKey', '
DELETE FROM fleet_grain_state
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version + 1;
');

-- Version 2: API keys and the audit log (src/Silo/Auth, src/Silo/Audit). Times are Unix
-- microseconds (UTC); FleetDatabase converts them.

CREATE TABLE IF NOT EXISTS fleet_api_keys
(
    id              TEXT    NOT NULL PRIMARY KEY, -- the first 16 hex digits of the key's SHA-256
    key_hash        TEXT    NOT NULL,             -- the key's SHA-256, hex; the key itself is never stored
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL,             -- operator, maintenance, integration or admin
    created_at      INTEGER NOT NULL,
    created_by_id   TEXT    NOT NULL,
    created_by_name TEXT    NOT NULL,
    expires_at      INTEGER,                      -- NULL: never
    revoked_at      INTEGER,                      -- NULL: in force
    revoked_by_id   TEXT,
    revoked_by_name TEXT
);

CREATE TABLE IF NOT EXISTS fleet_audit
(
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order; breaks ties between equal times
    at          INTEGER NOT NULL,
    actor_id    TEXT    NOT NULL,                  -- API key id, or "system:<what>" for the silo itself
    actor_name  TEXT    NOT NULL,
    actor_role  TEXT    NOT NULL,
    action      TEXT    NOT NULL,                  -- e.g. device.desired, key.create
    target_kind TEXT,                              -- lamp, parking, wifi, meter, key, job, ...
    target_id   TEXT,
    detail      TEXT,
    status      INTEGER NOT NULL,                  -- HTTP status of the answer
    outcome     TEXT    NOT NULL                   -- "ok", "refused: <why>" or "failed: <why>"
);

CREATE INDEX IF NOT EXISTS fleet_audit_at ON fleet_audit (at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_actor_id ON fleet_audit (actor_id, at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_actor_name ON fleet_audit (actor_name, at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_action ON fleet_audit (action, at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_target ON fleet_audit (target_id, at, id);

PRAGMA user_version = 2;

COMMIT;
