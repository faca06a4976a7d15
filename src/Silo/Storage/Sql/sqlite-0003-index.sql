-- Fleet schema version 3 on SQLite: the fleet index (src/Silo/Index, docs/index.md), a read model
-- of the device twins that GET /api/devices and GET /api/boroughs answer from. The twins stay the
-- source of truth: everything here can be rebuilt from fleet_grain_state.
--
-- Idempotent: SchemaInstaller runs it on every start after sqlite.sql. Times are Unix
-- microseconds (UTC), as FleetDatabase writes them; booleans are 0/1 so SUM counts them.

BEGIN IMMEDIATE;

-- One row per provisioned device, at the newest twin version the index has seen.
CREATE TABLE IF NOT EXISTS fleet_devices
(
    kind              TEXT    NOT NULL, -- lamp, parking, wifi, meter
    id                TEXT    NOT NULL,
    borough           TEXT    NOT NULL,
    lat               REAL    NOT NULL,
    lon               REAL    NOT NULL,
    online            INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL, -- never seen: the smallest time (sorts last in -lastSeen)
    faults            TEXT    NOT NULL, -- active fault codes, sorted, comma-separated; '' for none
    street            TEXT,
    zone              TEXT,
    model             TEXT,
    search            TEXT    NOT NULL, -- lower-case id, street, zone and model, for q=
    lamp_on           INTEGER,          -- reported values; NULL until reported
    lamp_level        REAL,
    lamp_power_w      REAL,
    parking_state     TEXT,
    wifi_up           INTEGER,
    wifi_clients      INTEGER,
    meter_medium      TEXT,             -- from the metadata
    meter_register    REAL,
    meter_consumption REAL,
    version           INTEGER NOT NULL, -- the twin version shown; older versions never overwrite it
    updated_at        INTEGER NOT NULL, -- when the index wrote the row
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS fleet_devices_id ON fleet_devices (id, kind);
CREATE INDEX IF NOT EXISTS fleet_devices_kind_borough ON fleet_devices (kind, borough, id);
CREATE INDEX IF NOT EXISTS fleet_devices_borough ON fleet_devices (borough, id, kind);
CREATE INDEX IF NOT EXISTS fleet_devices_online ON fleet_devices (online, kind, borough, id);
CREATE INDEX IF NOT EXISTS fleet_devices_last_seen ON fleet_devices (last_seen, id, kind);
CREATE INDEX IF NOT EXISTS fleet_devices_position ON fleet_devices (lon, lat);
-- Covers the borough figures: GET /api/boroughs reads this index alone, in group order.
CREATE INDEX IF NOT EXISTS fleet_devices_figures ON fleet_devices
    (borough, kind, meter_medium, online, lamp_on, lamp_level, lamp_power_w, parking_state, wifi_up, wifi_clients);

-- The active faults again, one row each, so fault= is an index lookup.
CREATE TABLE IF NOT EXISTS fleet_device_faults
(
    code TEXT NOT NULL,
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    PRIMARY KEY (code, kind, id)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS fleet_device_faults_device ON fleet_device_faults (kind, id);

-- Decommissioned devices: the twin version they were removed at, so a late write of an older
-- version (from another silo's writer, or a rebuild) cannot bring them back.
CREATE TABLE IF NOT EXISTS fleet_device_tombstones
(
    kind    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- Each register step a meter reported, by (meter, report time): what a step is counted once by.
-- Kept for Fleet:Index:ConsumptionRetention; a decommissioned meter's steps stay until then, so a
-- late write of them is still recognised.
CREATE TABLE IF NOT EXISTS fleet_meter_consumption
(
    id     TEXT    NOT NULL,
    at     INTEGER NOT NULL,
    amount REAL    NOT NULL,
    PRIMARY KEY (id, at)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS fleet_meter_consumption_at ON fleet_meter_consumption (at);

-- The same steps summed per minute, borough and medium (a step is added when its row above is
-- new): the hour and day figures read at most 1,440 minutes × boroughs × media rows.
CREATE TABLE IF NOT EXISTS fleet_consumption_minutes
(
    minute  INTEGER NOT NULL, -- the report time, truncated to the minute
    borough TEXT    NOT NULL,
    medium  TEXT    NOT NULL,
    amount  REAL    NOT NULL,
    PRIMARY KEY (minute, borough, medium)
) WITHOUT ROWID;

-- The index's own markers, e.g. the projection format it was last rebuilt with.
CREATE TABLE IF NOT EXISTS fleet_index_state
(
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

PRAGMA user_version = 3;

COMMIT;
