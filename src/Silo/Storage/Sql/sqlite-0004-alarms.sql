-- Fleet schema version 4 on SQLite: alarms (src/Silo/Alarms, docs/alarms.md).
-- Idempotent: SchemaInstaller runs it on every start after sqlite-0003-index.sql. Times are Unix
-- microseconds (UTC), as FleetDatabase writes them; booleans are 0/1.

BEGIN IMMEDIATE;

CREATE TABLE IF NOT EXISTS fleet_alarms
(
    id                   INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so an alarm id stays unique
    kind                 TEXT    NOT NULL,                  -- lamp, parking, wifi, meter
    device_id            TEXT    NOT NULL,
    borough              TEXT    NOT NULL,
    type                 TEXT    NOT NULL,                  -- a fault code, or 'offline'
    severity             TEXT    NOT NULL,                  -- critical, major, minor, warning
    state                TEXT    NOT NULL,                  -- active, acknowledged, cleared
    detail               TEXT    NOT NULL,
    count                INTEGER NOT NULL,                  -- 1, + 1 per reopening within the hold window
    raised_at            INTEGER NOT NULL,
    last_raised_at       INTEGER NOT NULL,
    cleared_at           INTEGER,
    acknowledged_at      INTEGER,
    acknowledged_by_id   TEXT,
    acknowledged_by_name TEXT,
    ack_comment          TEXT,
    updated_at           INTEGER NOT NULL
);

-- At most one open (active or acknowledged) alarm per device and type, whoever writes it.
CREATE UNIQUE INDEX IF NOT EXISTS fleet_alarms_open ON fleet_alarms (kind, device_id, type) WHERE state <> 'cleared';
CREATE INDEX IF NOT EXISTS fleet_alarms_device ON fleet_alarms (kind, device_id, type, cleared_at);
CREATE INDEX IF NOT EXISTS fleet_alarms_state ON fleet_alarms (state, id);
CREATE INDEX IF NOT EXISTS fleet_alarms_borough ON fleet_alarms (borough, state, id);

-- Connectivity as the alarms see it, for the offline sweep: written on connects, disconnects,
-- provisioning and decommissioning only (not on every report).
CREATE TABLE IF NOT EXISTS fleet_alarm_devices
(
    kind          TEXT    NOT NULL,
    device_id     TEXT    NOT NULL,
    borough       TEXT    NOT NULL,
    online        INTEGER NOT NULL,           -- 0 or 1
    last_seen     INTEGER,                    -- NULL: never heard of, never an offline alarm
    offline_alarm INTEGER NOT NULL DEFAULT 0, -- 1 once the sweep opened the offline alarm
    version       INTEGER NOT NULL DEFAULT 0, -- the twin version last applied
    PRIMARY KEY (kind, device_id)
);

CREATE INDEX IF NOT EXISTS fleet_alarm_devices_offline ON fleet_alarm_devices (kind, online, offline_alarm, last_seen);

PRAGMA user_version = 4;

COMMIT;
