-- Fleet schema version 5 on PostgreSQL: what GET /api/devices needs to answer a filtered page
-- over 300k devices within 50 ms (docs/benchmarks.md, P6).
-- SchemaInstaller runs it once per database and records it in fleet_schema_version; it is
-- idempotent on its own as well. Never edit it once released.

-- online=… pages come in id order: read them in that order and stop after the page.
CREATE INDEX IF NOT EXISTS fleet_devices_online_id ON fleet_devices (online, id, kind);

-- q= is "contains" (LIKE '%…%'): a trigram index finds the devices without reading every row.
-- pg_trgm ships with PostgreSQL and is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS fleet_devices_search_trgm ON fleet_devices USING gin (search gin_trgm_ops);
