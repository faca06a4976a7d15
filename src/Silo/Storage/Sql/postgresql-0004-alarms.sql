-- Fleet schema version 4 on PostgreSQL: alarms (src/Silo/Alarms, docs/alarms.md).
-- SchemaInstaller runs it once per database and records it in fleet_schema_version; it is
-- idempotent on its own as well. Never edit it once released.

CREATE TABLE IF NOT EXISTS fleet_alarms
(
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                 text        NOT NULL, -- lamp, parking, wifi, meter
    device_id            text        NOT NULL,
    borough              text        NOT NULL,
    type                 text        NOT NULL, -- a fault code, or 'offline'
    severity             text        NOT NULL, -- critical, major, minor, warning
    state                text        NOT NULL, -- active, acknowledged, cleared
    detail               text        NOT NULL,
    count                integer     NOT NULL, -- 1, + 1 per reopening within the hold window
    raised_at            timestamptz NOT NULL,
    last_raised_at       timestamptz NOT NULL,
    cleared_at           timestamptz,
    acknowledged_at      timestamptz,
    acknowledged_by_id   text,
    acknowledged_by_name text,
    ack_comment          text,
    updated_at           timestamptz NOT NULL
);

-- At most one open (active or acknowledged) alarm per device and type, whichever silo writes it.
CREATE UNIQUE INDEX IF NOT EXISTS fleet_alarms_open ON fleet_alarms (kind, device_id, type) WHERE state <> 'cleared';
CREATE INDEX IF NOT EXISTS fleet_alarms_device ON fleet_alarms (kind, device_id, type, cleared_at);
CREATE INDEX IF NOT EXISTS fleet_alarms_state ON fleet_alarms (state, id);
CREATE INDEX IF NOT EXISTS fleet_alarms_borough ON fleet_alarms (borough, state, id);

-- Connectivity as the alarms see it, for the offline sweep: written on connects, disconnects,
-- provisioning and decommissioning only (not on every report).
CREATE TABLE IF NOT EXISTS fleet_alarm_devices
(
    kind          text        NOT NULL,
    device_id     text        NOT NULL,
    borough       text        NOT NULL,
    online        boolean     NOT NULL,
    last_seen     timestamptz,                     -- NULL: never heard of, never an offline alarm
    offline_alarm boolean     NOT NULL DEFAULT false, -- true once the sweep opened the offline alarm
    version       bigint      NOT NULL DEFAULT 0,  -- the twin version last applied
    PRIMARY KEY (kind, device_id)
);

CREATE INDEX IF NOT EXISTS fleet_alarm_devices_offline ON fleet_alarm_devices (kind, online, offline_alarm, last_seen);
