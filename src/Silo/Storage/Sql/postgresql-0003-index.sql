-- Fleet schema version 3 on PostgreSQL: the fleet index (src/Silo/Index, docs/index.md), a read
-- model of the device twins that GET /api/devices and GET /api/boroughs answer from. The twins stay
-- the source of truth: everything here can be rebuilt from fleet_grain_state.
-- SchemaInstaller runs it once per database after version 2 and records it in fleet_schema_version;
-- it is idempotent on its own as well. Never edit it once released.
-- Booleans are integers 0/1, as on SQLite, so the same SQL (SUM counts them) serves both; kind, id
-- and borough compare by code point (COLLATE "C"), as SQLite does, so sorts and cursors agree.

-- One row per provisioned device, at the newest twin version the index has seen.
CREATE TABLE IF NOT EXISTS fleet_devices
(
    kind              text COLLATE "C" NOT NULL, -- lamp, parking, wifi, meter
    id                text COLLATE "C" NOT NULL,
    borough           text COLLATE "C" NOT NULL,
    lat               double precision NOT NULL,
    lon               double precision NOT NULL,
    online            integer          NOT NULL,
    last_seen         timestamptz      NOT NULL, -- never seen: -infinity (sorts last in -lastSeen)
    faults            text             NOT NULL, -- active fault codes, sorted, comma-separated; '' for none
    street            text,
    zone              text,
    model             text,
    search            text             NOT NULL, -- lower-case id, street, zone and model, for q=
    lamp_on           integer,                   -- reported values; NULL until reported
    lamp_level        double precision,
    lamp_power_w      double precision,
    parking_state     text,
    wifi_up           integer,
    wifi_clients      integer,
    meter_medium      text,                      -- from the metadata
    meter_register    double precision,
    meter_consumption double precision,
    version           bigint           NOT NULL, -- the twin version shown; older versions never overwrite it
    updated_at        timestamptz      NOT NULL, -- when the index wrote the row
    PRIMARY KEY (kind, id)
);

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
    code text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    id   text COLLATE "C" NOT NULL,
    PRIMARY KEY (code, kind, id)
);

CREATE INDEX IF NOT EXISTS fleet_device_faults_device ON fleet_device_faults (kind, id);

-- Decommissioned devices: the twin version they were removed at, so a late write of an older
-- version (from another silo's writer, or a rebuild) cannot bring them back.
CREATE TABLE IF NOT EXISTS fleet_device_tombstones
(
    kind    text COLLATE "C" NOT NULL,
    id      text COLLATE "C" NOT NULL,
    version bigint           NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Each register step a meter reported, by (meter, report time): what a step is counted once by.
-- Kept for Fleet:Index:ConsumptionRetention; a decommissioned meter's steps stay until then, so a
-- late write of them is still recognised.
CREATE TABLE IF NOT EXISTS fleet_meter_consumption
(
    id     text COLLATE "C" NOT NULL,
    at     timestamptz      NOT NULL,
    amount double precision NOT NULL,
    PRIMARY KEY (id, at)
);

CREATE INDEX IF NOT EXISTS fleet_meter_consumption_at ON fleet_meter_consumption (at);

-- The same steps summed per minute, borough and medium (a step is added when its row above is
-- new): the hour and day figures read at most 1,440 minutes × boroughs × media rows.
CREATE TABLE IF NOT EXISTS fleet_consumption_minutes
(
    minute  timestamptz      NOT NULL, -- the report time, truncated to the minute
    borough text COLLATE "C" NOT NULL,
    medium  text COLLATE "C" NOT NULL,
    amount  double precision NOT NULL,
    PRIMARY KEY (minute, borough, medium)
);

-- The index's own markers, e.g. the projection format it was last rebuilt with.
CREATE TABLE IF NOT EXISTS fleet_index_state
(
    name  text NOT NULL PRIMARY KEY,
    value text NOT NULL
);
