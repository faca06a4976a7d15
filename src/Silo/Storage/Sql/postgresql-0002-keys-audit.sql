-- Fleet schema version 2 on PostgreSQL: API keys and the audit log (src/Silo/Auth, src/Silo/Audit).
-- SchemaInstaller runs it once per database after postgresql.sql and records it in
-- fleet_schema_version; it is idempotent on its own as well. Never edit it once released.

CREATE TABLE IF NOT EXISTS fleet_api_keys
(
    id              text        NOT NULL PRIMARY KEY, -- the first 16 hex digits of the key's SHA-256
    key_hash        text        NOT NULL,             -- the key's SHA-256, hex; the key itself is never stored
    name            text        NOT NULL,
    role            text        NOT NULL,             -- operator, maintenance, integration or admin
    created_at      timestamptz NOT NULL,
    created_by_id   text        NOT NULL,
    created_by_name text        NOT NULL,
    expires_at      timestamptz,                      -- NULL: never
    revoked_at      timestamptz,                      -- NULL: in force
    revoked_by_id   text,
    revoked_by_name text
);

CREATE TABLE IF NOT EXISTS fleet_audit
(
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- breaks ties between equal times
    at          timestamptz NOT NULL,
    actor_id    text        NOT NULL, -- API key id, or "system:<what>" for the silo itself
    actor_name  text        NOT NULL,
    actor_role  text        NOT NULL,
    action      text        NOT NULL, -- e.g. device.desired, key.create
    target_kind text,                 -- lamp, parking, wifi, meter, key, job, ...
    target_id   text,
    detail      text,
    status      integer     NOT NULL, -- HTTP status of the answer
    outcome     text        NOT NULL  -- "ok", "refused: <why>" or "failed: <why>"
);

CREATE INDEX IF NOT EXISTS fleet_audit_at ON fleet_audit (at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_actor_id ON fleet_audit (actor_id, at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_actor_name ON fleet_audit (actor_name, at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_action ON fleet_audit (action, at, id);
CREATE INDEX IF NOT EXISTS fleet_audit_target ON fleet_audit (target_id, at, id);
