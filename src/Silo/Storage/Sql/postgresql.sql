-- Fleet schema version 1 on PostgreSQL (Orleans ADO.NET invariant "Npgsql"): grain persistence,
-- cluster membership and reminders, plus the OrleansQuery rows the Orleans 10.4.2 providers load.
--
-- SchemaInstaller runs this file once per database, inside a transaction that holds an advisory
-- lock, and records it in fleet_schema_version. The file is also idempotent on its own (psql -f
-- twice is harmless). Never edit it once released: add postgresql-0002-<what>.sql and list it in
-- SchemaInstaller.
--
-- Tables and columns are unquoted (folded to lower case); the providers read result columns by
-- name, so every result column carries a quoted alias in the exact case Orleans asks for.
-- All times are timestamptz: Orleans passes UTC DateTime values and reads them back as UTC.

CREATE TABLE IF NOT EXISTS fleet_schema_version
(
    version     integer     NOT NULL PRIMARY KEY,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

-- Grain state --------------------------------------------------------------------------------
-- Parameters: @ServiceId @GrainTypeString @GrainIdN0 @GrainIdN1 @GrainIdExtensionString
-- (+ @GrainIdHash @GrainTypeHash, unused: the primary key does their job); write, clear and
-- delete also get @GrainStateVersion (NULL = the grain has never seen a row); write gets
-- @PayloadBinary. @GrainTypeString is "<state name>@<grain type>" (see FleetGrainStorage).

CREATE TABLE IF NOT EXISTS fleet_grain_state
(
    service_id   text        NOT NULL,
    grain_type   text        NOT NULL,
    grain_id_n0  bigint      NOT NULL, -- Guid keys: first 8 bytes; otherwise 0
    grain_id_n1  bigint      NOT NULL, -- Guid keys: last 8 bytes; integer keys: the key; otherwise 0
    grain_id_ext text        NOT NULL, -- string key, or the key extension; empty when none
    payload      bytea,                -- NULL once the state is cleared
    version      integer     NOT NULL, -- the ETag; +1 on every write and clear
    modified_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
);

-- Cluster membership -------------------------------------------------------------------------
-- One version row per cluster (Orleans calls it DeploymentId). Every membership change moves the
-- version by one, and only from the version the silo last read: that is the optimistic lock of
-- the Orleans membership protocol. Heartbeats (i_am_alive_time) and dead-row cleanup leave it.

CREATE TABLE IF NOT EXISTS fleet_membership_version
(
    deployment_id text        NOT NULL PRIMARY KEY,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS fleet_membership
(
    deployment_id   text        NOT NULL,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL, -- Orleans SiloStatus: 3 Active, 6 Dead
    proxy_port      integer,              -- gateway port, 0 when the silo is no gateway
    suspect_times   text,                 -- "silo,time|silo,time" as Orleans writes it
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

-- Reminders ----------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS fleet_reminders
(
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL, -- GrainId.ToString()
    reminder_name text        NOT NULL,
    start_time    timestamptz NOT NULL,
    period        bigint      NOT NULL, -- milliseconds
    grain_hash    integer     NOT NULL, -- uniform hash as a signed int, for range reads
    version       integer     NOT NULL, -- the ETag
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS fleet_reminders_by_hash ON fleet_reminders (service_id, grain_hash);

-- Queries ------------------------------------------------------------------------------------

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Grain storage: zero or one row of PayloadBinary, Version.
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM fleet_grain_state
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '')
$q$),

-- Grain storage: one statement. A grain without a version may only insert; a grain holding
-- version N may only move N to N+1. No row comes back on a conflict, which Orleans turns into
-- an InconsistentStateException.
('WriteToStorageKey', $q$
INSERT INTO fleet_grain_state AS s
    (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext, payload, version)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString, ''),
       @PayloadBinary, 1
WHERE @GrainStateVersion IS NULL
   OR EXISTS (SELECT 1 FROM fleet_grain_state
              WHERE service_id = @ServiceId
                AND grain_type = @GrainTypeString
                AND grain_id_n0 = @GrainIdN0
                AND grain_id_n1 = @GrainIdN1
                AND grain_id_ext = COALESCE(@GrainIdExtensionString, ''))
ON CONFLICT (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext) DO UPDATE
SET payload = EXCLUDED.payload,
    version = s.version + 1,
    modified_at = now()
WHERE s.version = @GrainStateVersion
RETURNING s.version AS "NewGrainStateVersion"
$q$),

-- Grain storage: keeps the row and its version, so a stale activation still conflicts later.
('ClearStorageKey', $q$
UPDATE fleet_grain_state
SET payload = NULL,
    version = version + 1,
    modified_at = now()
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '')
  AND version = @GrainStateVersion
RETURNING version
$q$),

-- Grain storage, only with DeleteStateOnClear = true: returns old version + 1, because a result
-- equal to the ETag of the grain counts as a conflict.
('DeleteStorageKey', $q$
DELETE FROM fleet_grain_state
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '')
  AND version = @GrainStateVersion
RETURNING version + 1
$q$),

-- Membership: one boolean, true when this call created the version row.
('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO fleet_membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM inserted)
$q$),

-- Membership: the version row joined with one silo (no silo columns when it is not there).
('MembershipReadRowKey', $q$
SELECT v.version AS "Version",
       m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM fleet_membership_version v
LEFT JOIN fleet_membership m
       ON m.deployment_id = v.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId
$q$),

-- Membership: the version row joined with every silo, read in one snapshot.
('MembershipReadAllKey', $q$
SELECT v.version AS "Version",
       m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM fleet_membership_version v
LEFT JOIN fleet_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId
$q$),

-- Membership: a new silo joins. The version moves only from @Version and only when the silo is
-- not there yet, so the row and the version change together or not at all.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE fleet_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId
      AND version = @Version
      AND NOT EXISTS (SELECT 1 FROM fleet_membership
                      WHERE deployment_id = @DeploymentId
                        AND address = @Address AND port = @Port AND generation = @Generation)
    RETURNING deployment_id
), inserted AS (
    INSERT INTO fleet_membership
        (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
         start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
           @StartTime, @IAmAliveTime
    FROM bumped
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM inserted)
$q$),

-- Membership: a silo changes status or suspicions, from the version the caller read.
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE fleet_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId
      AND version = @Version
      AND EXISTS (SELECT 1 FROM fleet_membership
                  WHERE deployment_id = @DeploymentId
                    AND address = @Address AND port = @Port AND generation = @Generation)
    RETURNING deployment_id
), updated AS (
    UPDATE fleet_membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM updated)
$q$),

-- Membership: heartbeat. Leaves the version alone.
('UpdateIAmAlivetimeKey', $q$
UPDATE fleet_membership
SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId
  AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- Membership: gateways for clients (@Status is Active).
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
FROM fleet_membership
WHERE deployment_id = @DeploymentId
  AND status = @Status
  AND proxy_port > 0
$q$),

-- Membership: forget a whole cluster (tests and tooling).
('DeleteMembershipTableEntriesKey', $q$
WITH members AS (
    DELETE FROM fleet_membership WHERE deployment_id = @DeploymentId
)
DELETE FROM fleet_membership_version WHERE deployment_id = @DeploymentId
$q$),

-- Membership: drop dead silos whose start and last heartbeat are both older than the cut-off.
-- Orleans 10.4.2 requires this key at start, but uses it only when CleanupDefunctSiloEntryKey
-- is missing.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM fleet_membership
WHERE deployment_id = @DeploymentId
  AND status = 6
  AND i_am_alive_time < @IAmAliveTime
  AND start_time < @IAmAliveTime
$q$),

-- Membership: drop one dead silo, only if its row still holds the values Orleans judged by.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM fleet_membership
WHERE deployment_id = @DeploymentId
  AND address = @Address AND port = @Port AND generation = @Generation
  AND status = 6
  AND start_time = @StartTime
  AND i_am_alive_time = @IAmAliveTime
  AND COALESCE(suspect_times, '') = COALESCE(@SuspectTimes, '')
$q$),

-- Reminders: rows are GrainId, ReminderName, StartTime, Period (ms), Version.
('ReadReminderRowsKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM fleet_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM fleet_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
$q$),

-- Reminders: the ring range (@BeginHash, @EndHash] when it does not wrap (signed order) ...
('ReadRangeRows1Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM fleet_reminders
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
$q$),

-- ... and when it wraps past the end of the ring.
('ReadRangeRows2Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM fleet_reminders
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$q$),

-- Reminders: insert or replace; returns the new Version.
('UpsertReminderRowKey', $q$
INSERT INTO fleet_reminders AS r
    (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 1)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = EXCLUDED.start_time,
    period = EXCLUDED.period,
    grain_hash = EXCLUDED.grain_hash,
    version = r.version + 1
RETURNING r.version AS "Version"
$q$),

-- Reminders: one boolean, true when the row with that version was removed.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM fleet_reminders
    WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
      AND version = @Version
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM deleted)
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM fleet_reminders WHERE service_id = @ServiceId
$q$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO fleet_schema_version (version, description)
VALUES (1, 'grain state, membership, reminders')
ON CONFLICT (version) DO NOTHING;
