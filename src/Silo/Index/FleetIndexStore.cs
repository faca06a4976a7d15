using System.Data;
using System.Data.Common;
using Fleet.Devices;
using Fleet.Silo.Storage;

namespace Fleet.Silo.Index;

/// <summary>
/// The index tables (Storage/Sql/*-0003-index.sql) on the silo's database, SQLite or PostgreSQL:
/// the same statements run on both. Every write is version-guarded, so writers on several silos
/// and a rebuild may overlap in any order and the newest twin version still wins.
/// </summary>
internal sealed class FleetIndexStore(FleetDatabase database)
{
    public const string FormatMarker = "format";
    public const string RebuiltAtMarker = "rebuilt_at";

    private const string UpsertSql = """
        INSERT INTO fleet_devices
            (kind, id, borough, lat, lon, online, last_seen, faults, street, zone, model, search,
             lamp_on, lamp_level, lamp_power_w, parking_state, wifi_up, wifi_clients,
             meter_medium, meter_register, meter_consumption, version, updated_at)
        SELECT @kind, @id, @borough, @lat, @lon, @online, @lastSeen, @faults, @street, @zone, @model, @search,
               @lampOn, @lampLevel, @lampPowerW, @parkingState, @wifiUp, @wifiClients,
               @meterMedium, @meterRegister, @meterConsumption, @version, @updatedAt
        WHERE NOT EXISTS (SELECT 1 FROM fleet_device_tombstones t WHERE t.kind = @kind AND t.id = @id AND t.version >= @version)
        ON CONFLICT (kind, id) DO UPDATE SET
            borough = excluded.borough, lat = excluded.lat, lon = excluded.lon, online = excluded.online,
            last_seen = excluded.last_seen, faults = excluded.faults, street = excluded.street, zone = excluded.zone,
            model = excluded.model, search = excluded.search, lamp_on = excluded.lamp_on, lamp_level = excluded.lamp_level,
            lamp_power_w = excluded.lamp_power_w, parking_state = excluded.parking_state, wifi_up = excluded.wifi_up,
            wifi_clients = excluded.wifi_clients, meter_medium = excluded.meter_medium, meter_register = excluded.meter_register,
            meter_consumption = excluded.meter_consumption, version = excluded.version, updated_at = excluded.updated_at
        WHERE fleet_devices.version < excluded.version
        RETURNING version
        """;

    public FleetDatabase Database => database;

    /// <summary>
    /// Applies the changes in one transaction (on SQLite, one turn of the write lane): upserts that
    /// are newer than the row, removals that are newer than it, and consumption not yet recorded.
    /// Returns how many devices changed.
    /// </summary>
    public Task<int> ApplyAsync(IReadOnlyList<IndexChange> changes, DateTimeOffset now, DateTimeOffset consumptionCutoff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return Task.FromResult(0);
        }

        return database.WriteAsync(
            async (connection, transaction) =>
            {
                var statements = new Statements(connection, transaction, database);
                await using (statements)
                {
                    var applied = 0;
                    foreach (var change in changes)
                    {
                        var changed = change.Entry is { } entry
                            ? await statements.UpsertAsync(entry, now, cancellationToken)
                            : await statements.RemoveAsync(change.Key, change.Version, cancellationToken);
                        if (changed)
                        {
                            applied++;
                        }

                        foreach (var point in change.Consumption)
                        {
                            if (point.At >= consumptionCutoff)
                            {
                                await statements.AddConsumptionAsync(change.Key.Id, point, cancellationToken);
                            }
                        }
                    }

                    return applied;
                }
            },
            cancellationToken);
    }

    /// <summary>Removes the rows last written before <paramref name="before"/> whose devices are not in <paramref name="keep"/>.</summary>
    public async Task<int> SweepAsync(IReadOnlySet<DeviceKey> keep, DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var doomed = new List<DeviceKey>();
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = "SELECT kind, id FROM fleet_devices WHERE updated_at < @before";
                FleetDatabase.AddParameter(command, "before", database.TimeValue(before));
                var reader = await command.ExecuteReaderAsync(cancellationToken);
                await using (reader)
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        if (DeviceKinds.TryParse(reader.GetString(0), out var kind) && !keep.Contains(new DeviceKey(kind, reader.GetString(1))))
                        {
                            doomed.Add(new DeviceKey(kind, reader.GetString(1)));
                        }
                    }
                }
            }
        }

        var removed = 0;
        foreach (var chunk in doomed.Chunk(batchSize))
        {
            removed += await database.WriteAsync(
                async (connection, transaction) =>
                {
                    var statements = new Statements(connection, transaction, database);
                    await using (statements)
                    {
                        var count = 0;
                        foreach (var key in chunk)
                        {
                            if (await statements.DeleteAsync(key, before, cancellationToken))
                            {
                                count++;
                            }
                        }

                        return count;
                    }
                },
                cancellationToken);
        }

        return removed;
    }

    /// <summary>Deletes consumption reported before <paramref name="cutoff"/>.</summary>
    public Task<int> PurgeConsumptionAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async (connection, transaction) =>
            {
                var command = connection.CreateCommand();
                await using (command)
                {
                    command.Transaction = transaction;
                    command.CommandText = "DELETE FROM fleet_meter_consumption WHERE at < @cutoff";
                    FleetDatabase.AddParameter(command, "cutoff", database.TimeValue(cutoff));
                    return await command.ExecuteNonQueryAsync(cancellationToken);
                }
            },
            cancellationToken);

    public async Task<string?> ReadMarkerAsync(string name, CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = "SELECT value FROM fleet_index_state WHERE name = @name";
                FleetDatabase.AddParameter(command, "name", name);
                return await command.ExecuteScalarAsync(cancellationToken) as string;
            }
        }
    }

    public Task WriteMarkerAsync(string name, string value, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async (connection, transaction) =>
            {
                var command = connection.CreateCommand();
                await using (command)
                {
                    command.Transaction = transaction;
                    command.CommandText =
                        "INSERT INTO fleet_index_state (name, value) VALUES (@name, @value) " +
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value";
                    FleetDatabase.AddParameter(command, "name", name);
                    FleetDatabase.AddParameter(command, "value", value);
                    return await command.ExecuteNonQueryAsync(cancellationToken);
                }
            },
            cancellationToken);

    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = "SELECT 1 FROM fleet_devices LIMIT 1";
                return await command.ExecuteScalarAsync(cancellationToken) is null;
            }
        }
    }

    /// <summary>The statements of one write transaction, prepared once and run per device.</summary>
    private sealed class Statements : IAsyncDisposable
    {
        private readonly FleetDatabase _database;
        private readonly DbCommand _upsert;
        private readonly DbCommand _clearFaults;
        private readonly DbCommand _addFault;
        private readonly DbCommand _tombstone;
        private readonly DbCommand _delete;
        private readonly DbCommand _deleteBefore;
        private readonly DbCommand _clearConsumption;
        private readonly DbCommand _addConsumption;

        public Statements(DbConnection connection, DbTransaction transaction, FleetDatabase database)
        {
            _database = database;
            DbCommand Command(string sql)
            {
                var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                return command;
            }

            _upsert = Command(UpsertSql);
            _clearFaults = Command("DELETE FROM fleet_device_faults WHERE kind = @kind AND id = @id");
            _addFault = Command("INSERT INTO fleet_device_faults (code, kind, id) VALUES (@code, @kind, @id) ON CONFLICT (code, kind, id) DO NOTHING");
            _tombstone = Command(
                "INSERT INTO fleet_device_tombstones (kind, id, version) VALUES (@kind, @id, @version) " +
                "ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version WHERE fleet_device_tombstones.version < excluded.version");
            _delete = Command("DELETE FROM fleet_devices WHERE kind = @kind AND id = @id AND version <= @version");
            _deleteBefore = Command("DELETE FROM fleet_devices WHERE kind = @kind AND id = @id AND updated_at < @before");
            _clearConsumption = Command("DELETE FROM fleet_meter_consumption WHERE id = @id");
            _addConsumption = Command("INSERT INTO fleet_meter_consumption (id, at, amount) VALUES (@id, @at, @amount) ON CONFLICT (id, at) DO NOTHING");
        }

        /// <summary>Writes the entry unless the row (or a removal) is as new; true when it was written.</summary>
        public async Task<bool> UpsertAsync(IndexEntry entry, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var kind = entry.Kind.ToWire();
            _upsert.Parameters.Clear();
            Set(_upsert, "kind", kind, DbType.String);
            Set(_upsert, "id", entry.Id, DbType.String);
            Set(_upsert, "borough", entry.Borough, DbType.String);
            Set(_upsert, "lat", entry.Lat, DbType.Double);
            Set(_upsert, "lon", entry.Lon, DbType.Double);
            Set(_upsert, "online", entry.Online ? 1 : 0, DbType.Int32);
            Set(_upsert, "lastSeen", _database.TimeValue(FleetDatabase.ToMicroseconds(entry.LastSeen ?? DateTimeOffset.MinValue)), null);
            Set(_upsert, "faults", string.Join(',', entry.Faults), DbType.String);
            Set(_upsert, "street", entry.Street, DbType.String);
            Set(_upsert, "zone", entry.Zone, DbType.String);
            Set(_upsert, "model", entry.Model, DbType.String);
            Set(_upsert, "search", entry.Search, DbType.String);
            Set(_upsert, "lampOn", Flag(entry.LampOn), DbType.Int32);
            Set(_upsert, "lampLevel", entry.LampLevel, DbType.Double);
            Set(_upsert, "lampPowerW", entry.LampPowerW, DbType.Double);
            Set(_upsert, "parkingState", entry.ParkingState, DbType.String);
            Set(_upsert, "wifiUp", Flag(entry.WifiUp), DbType.Int32);
            Set(_upsert, "wifiClients", entry.WifiClients, DbType.Int32);
            Set(_upsert, "meterMedium", entry.MeterMedium, DbType.String);
            Set(_upsert, "meterRegister", entry.MeterRegister, DbType.Double);
            Set(_upsert, "meterConsumption", entry.MeterConsumption, DbType.Double);
            Set(_upsert, "version", entry.Version, DbType.Int64);
            Set(_upsert, "updatedAt", _database.TimeValue(FleetDatabase.ToMicroseconds(now)), null);
            if (await _upsert.ExecuteScalarAsync(cancellationToken) is null)
            {
                return false;
            }

            await ClearFaultsAsync(kind, entry.Id, cancellationToken);
            foreach (var code in entry.Faults)
            {
                _addFault.Parameters.Clear();
                Set(_addFault, "code", code, DbType.String);
                Set(_addFault, "kind", kind, DbType.String);
                Set(_addFault, "id", entry.Id, DbType.String);
                await _addFault.ExecuteNonQueryAsync(cancellationToken);
            }

            return true;
        }

        /// <summary>Records the removal and deletes the row if it is not newer; true when a row went.</summary>
        public async Task<bool> RemoveAsync(DeviceKey key, long version, CancellationToken cancellationToken)
        {
            var kind = key.Kind.ToWire();
            _tombstone.Parameters.Clear();
            Set(_tombstone, "kind", kind, DbType.String);
            Set(_tombstone, "id", key.Id, DbType.String);
            Set(_tombstone, "version", version, DbType.Int64);
            await _tombstone.ExecuteNonQueryAsync(cancellationToken);

            _delete.Parameters.Clear();
            Set(_delete, "kind", kind, DbType.String);
            Set(_delete, "id", key.Id, DbType.String);
            Set(_delete, "version", version, DbType.Int64);
            return await _delete.ExecuteNonQueryAsync(cancellationToken) > 0 && await ForgetAsync(key, cancellationToken);
        }

        /// <summary>Deletes the row if it was last written before <paramref name="before"/>; true when it went.</summary>
        public async Task<bool> DeleteAsync(DeviceKey key, DateTimeOffset before, CancellationToken cancellationToken)
        {
            _deleteBefore.Parameters.Clear();
            Set(_deleteBefore, "kind", key.Kind.ToWire(), DbType.String);
            Set(_deleteBefore, "id", key.Id, DbType.String);
            Set(_deleteBefore, "before", _database.TimeValue(before), null);
            return await _deleteBefore.ExecuteNonQueryAsync(cancellationToken) > 0 && await ForgetAsync(key, cancellationToken);
        }

        public async Task AddConsumptionAsync(string id, ConsumptionPoint point, CancellationToken cancellationToken)
        {
            _addConsumption.Parameters.Clear();
            Set(_addConsumption, "id", id, DbType.String);
            Set(_addConsumption, "at", _database.TimeValue(FleetDatabase.ToMicroseconds(point.At)), null);
            Set(_addConsumption, "amount", point.Amount, DbType.Double);
            await _addConsumption.ExecuteNonQueryAsync(cancellationToken);
        }

        /// <summary>Drops what hangs off a removed row: its faults and, for a meter, its consumption.</summary>
        private async Task<bool> ForgetAsync(DeviceKey key, CancellationToken cancellationToken)
        {
            await ClearFaultsAsync(key.Kind.ToWire(), key.Id, cancellationToken);
            if (key.Kind == DeviceKind.Meter)
            {
                _clearConsumption.Parameters.Clear();
                Set(_clearConsumption, "id", key.Id, DbType.String);
                await _clearConsumption.ExecuteNonQueryAsync(cancellationToken);
            }

            return true;
        }

        private async Task ClearFaultsAsync(string kind, string id, CancellationToken cancellationToken)
        {
            _clearFaults.Parameters.Clear();
            Set(_clearFaults, "kind", kind, DbType.String);
            Set(_clearFaults, "id", id, DbType.String);
            await _clearFaults.ExecuteNonQueryAsync(cancellationToken);
        }

        private static int? Flag(bool? value) => value is { } flag ? (flag ? 1 : 0) : null;

        /// <summary>
        /// Adds a parameter with its type stated: PostgreSQL cannot infer the type of a NULL in
        /// INSERT … SELECT. Time values (never null) keep the type the engine's time value implies.
        /// </summary>
        private static void Set(DbCommand command, string name, object? value, DbType? type)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            if (type is { } dbType)
            {
                parameter.DbType = dbType;
            }

            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var command in new[] { _upsert, _clearFaults, _addFault, _tombstone, _delete, _deleteBefore, _clearConsumption, _addConsumption })
            {
                await command.DisposeAsync();
            }
        }
    }
}
