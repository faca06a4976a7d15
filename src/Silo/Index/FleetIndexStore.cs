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

    private const string TombstoneSql =
        "INSERT INTO fleet_device_tombstones (kind, id, version) VALUES (@kind, @id, @version) " +
        "ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version WHERE fleet_device_tombstones.version < excluded.version RETURNING 1";

    private const string DeleteSql = "DELETE FROM fleet_devices WHERE kind = @kind AND id = @id AND version <= @version RETURNING 1";

    private const string DeleteBeforeSql = "DELETE FROM fleet_devices WHERE kind = @kind AND id = @id AND updated_at < @before RETURNING 1";

    private const string ClearFaultsSql = "DELETE FROM fleet_device_faults WHERE kind = @kind AND id = @id";

    private const string AddFaultSql = "INSERT INTO fleet_device_faults (code, kind, id) VALUES (@code, @kind, @id) ON CONFLICT (code, kind, id) DO NOTHING";

    private const string AddStepSql = "INSERT INTO fleet_meter_consumption (id, at, amount) VALUES (@id, @at, @amount) ON CONFLICT (id, at) DO NOTHING RETURNING 1";

    private const string AddMinuteSql =
        "INSERT INTO fleet_consumption_minutes (minute, borough, medium, amount) VALUES (@minute, @borough, @medium, @amount) " +
        "ON CONFLICT (minute, borough, medium) DO UPDATE SET amount = fleet_consumption_minutes.amount + excluded.amount";

    /// <summary>
    /// Applies the changes in one transaction (on SQLite, one turn of the write lane, ahead of waiting
    /// grain-state writes, so the index keeps its 2 s promise through a burst): upserts that
    /// are newer than the row, removals that are newer than it, and meter steps not yet recorded.
    /// Returns how many devices changed.
    /// </summary>
    /// <remarks>
    /// Two rounds: first the version-guarded writes, each answering whether it took effect; then
    /// what follows from those that did (the device's fault rows, the step's minute). On PostgreSQL
    /// each round is one batch, so a transaction costs two round trips however many devices it has.
    /// </remarks>
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
                var writes = new SqlBatch(connection, transaction);
                var effects = new List<(IndexChange Change, int Index)>(changes.Count);
                var steps = new List<(int Index, ConsumptionPoint Point)>();
                foreach (var change in changes)
                {
                    if (change.Entry is { } entry)
                    {
                        effects.Add((change, writes.Add(UpsertSql, UpsertParameters(entry, now))));
                    }
                    else
                    {
                        var key = KeyParameters(change.Key, ("version", change.Version, DbType.Int64));
                        writes.Add(TombstoneSql, key);
                        effects.Add((change, writes.Add(DeleteSql, key)));
                    }

                    foreach (var point in change.Consumption.Where(point => point.At >= consumptionCutoff))
                    {
                        var index = writes.Add(
                            AddStepSql,
                            ("id", change.Key.Id, DbType.String),
                            ("at", database.TimeValue(FleetDatabase.ToMicroseconds(point.At)), null),
                            ("amount", point.Amount, DbType.Double));
                        steps.Add((index, point));
                    }
                }

                var took = await writes.RunAsync(cancellationToken);

                // What follows from the writes that took effect: a written device's fault rows are
                // replaced, a removed one's dropped; a step is added to its minute only when its own
                // row is new, so written twice (a retry, a rebuild, another silo) it counts once.
                var follow = new SqlBatch(connection, transaction);
                var applied = 0;
                foreach (var (change, _) in effects.Where(effect => took[effect.Index]))
                {
                    applied++;
                    follow.Add(ClearFaultsSql, KeyParameters(change.Key));
                    foreach (var code in change.Entry?.Faults ?? [])
                    {
                        follow.Add(AddFaultSql, KeyParameters(change.Key, ("code", code, DbType.String)));
                    }
                }

                foreach (var (_, point) in steps.Where(step => took[step.Index]))
                {
                    follow.Add(
                        AddMinuteSql,
                        ("minute", database.TimeValue(point.Minute), null),
                        ("borough", point.Borough, DbType.String),
                        ("medium", point.Medium, DbType.String),
                        ("amount", point.Amount, DbType.Double));
                }

                await follow.ExecuteAsync(cancellationToken);
                return applied;
            },
            WritePriority.First,
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
                    var deletes = new SqlBatch(connection, transaction);
                    foreach (var key in chunk)
                    {
                        deletes.Add(DeleteBeforeSql, KeyParameters(key, ("before", database.TimeValue(before), null)));
                    }

                    var took = await deletes.RunAsync(cancellationToken);
                    var faults = new SqlBatch(connection, transaction);
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        if (took[i])
                        {
                            faults.Add(ClearFaultsSql, KeyParameters(chunk[i]));
                        }
                    }

                    await faults.ExecuteAsync(cancellationToken);
                    return took.Count(deleted => deleted);
                },
                cancellationToken);
        }

        return removed;
    }

    /// <summary>Deletes the meter steps reported, and the minutes that began, before <paramref name="cutoff"/>; returns the steps deleted.</summary>
    public Task<int> PurgeConsumptionAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async (connection, transaction) =>
            {
                async Task<int> DeleteAsync(string sql)
                {
                    var command = connection.CreateCommand();
                    await using (command)
                    {
                        command.Transaction = transaction;
                        command.CommandText = sql;
                        FleetDatabase.AddParameter(command, "cutoff", database.TimeValue(cutoff));
                        return await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                }

                await DeleteAsync("DELETE FROM fleet_consumption_minutes WHERE minute < @cutoff");
                return await DeleteAsync("DELETE FROM fleet_meter_consumption WHERE at < @cutoff");
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

    private (string Name, object? Value, DbType? Type)[] UpsertParameters(IndexEntry entry, DateTimeOffset now) =>
    [
        ("kind", entry.Kind.ToWire(), DbType.String),
        ("id", entry.Id, DbType.String),
        ("borough", entry.Borough, DbType.String),
        ("lat", entry.Lat, DbType.Double),
        ("lon", entry.Lon, DbType.Double),
        ("online", entry.Online ? 1 : 0, DbType.Int32),
        ("lastSeen", database.TimeValue(FleetDatabase.ToMicroseconds(entry.LastSeen ?? DateTimeOffset.MinValue)), null),
        ("faults", string.Join(',', entry.Faults), DbType.String),
        ("street", entry.Street, DbType.String),
        ("zone", entry.Zone, DbType.String),
        ("model", entry.Model, DbType.String),
        ("search", entry.Search, DbType.String),
        ("lampOn", Flag(entry.LampOn), DbType.Int32),
        ("lampLevel", entry.LampLevel, DbType.Double),
        ("lampPowerW", entry.LampPowerW, DbType.Double),
        ("parkingState", entry.ParkingState, DbType.String),
        ("wifiUp", Flag(entry.WifiUp), DbType.Int32),
        ("wifiClients", entry.WifiClients, DbType.Int32),
        ("meterMedium", entry.MeterMedium, DbType.String),
        ("meterRegister", entry.MeterRegister, DbType.Double),
        ("meterConsumption", entry.MeterConsumption, DbType.Double),
        ("version", entry.Version, DbType.Int64),
        ("updatedAt", database.TimeValue(FleetDatabase.ToMicroseconds(now)), null),
    ];

    private static (string Name, object? Value, DbType? Type)[] KeyParameters(DeviceKey key, params (string Name, object? Value, DbType? Type)[] more) =>
        [("kind", key.Kind.ToWire(), DbType.String), ("id", key.Id, DbType.String), .. more];

    private static int? Flag(bool? value) => value is { } flag ? (flag ? 1 : 0) : null;

    /// <summary>
    /// Statements of one transaction run together: as one DbBatch where the provider has them
    /// (Npgsql: one round trip), else one after another through a command per statement text, so
    /// SQLite prepares each text once. Every statement states its parameter types — PostgreSQL
    /// cannot infer the type of a NULL in INSERT … SELECT; time values (never null) keep the type
    /// the engine's time value implies.
    /// </summary>
    private sealed class SqlBatch(DbConnection connection, DbTransaction transaction)
    {
        private readonly List<(string Sql, (string Name, object? Value, DbType? Type)[] Parameters)> _statements = [];

        /// <summary>Adds a statement; returns its position in the answer of <see cref="RunAsync"/>.</summary>
        public int Add(string sql, params (string Name, object? Value, DbType? Type)[] parameters)
        {
            _statements.Add((sql, parameters));
            return _statements.Count - 1;
        }

        /// <summary>
        /// Runs the statements in order; for each, whether it returned a row. Every statement must
        /// have a RETURNING clause (a row when it took effect), so each has exactly one result.
        /// </summary>
        public async Task<bool[]> RunAsync(CancellationToken cancellationToken)
        {
            var returned = new bool[_statements.Count];
            if (_statements.Count == 0)
            {
                return returned;
            }

            if (connection.CanCreateBatch)
            {
                var batch = CreateBatch();
                await using (batch)
                {
                    var reader = await batch.ExecuteReaderAsync(cancellationToken);
                    await using (reader)
                    {
                        for (var i = 0; i < returned.Length; i++)
                        {
                            returned[i] = await reader.ReadAsync(cancellationToken);
                            if (!await reader.NextResultAsync(cancellationToken))
                            {
                                break;
                            }
                        }
                    }
                }

                return returned;
            }

            var commands = new Dictionary<string, DbCommand>(StringComparer.Ordinal);
            try
            {
                for (var i = 0; i < returned.Length; i++)
                {
                    var (sql, parameters) = _statements[i];
                    if (!commands.TryGetValue(sql, out var command))
                    {
                        commands[sql] = command = connection.CreateCommand();
                        command.Transaction = transaction;
                        command.CommandText = sql;
                    }

                    command.Parameters.Clear();
                    foreach (var parameter in parameters)
                    {
                        command.Parameters.Add(Parameter(command.CreateParameter(), parameter));
                    }

                    returned[i] = await command.ExecuteScalarAsync(cancellationToken) is not null;
                }
            }
            finally
            {
                foreach (var command in commands.Values)
                {
                    await command.DisposeAsync();
                }
            }

            return returned;
        }

        /// <summary>Runs the statements in order, for their effect only.</summary>
        public async Task ExecuteAsync(CancellationToken cancellationToken)
        {
            if (_statements.Count == 0)
            {
                return;
            }

            if (connection.CanCreateBatch)
            {
                var batch = CreateBatch();
                await using (batch)
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                }

                return;
            }

            await RunAsync(cancellationToken);
        }

        private DbBatch CreateBatch()
        {
            var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var (sql, parameters) in _statements)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = sql;
                foreach (var parameter in parameters)
                {
                    command.Parameters.Add(Parameter(command.CreateParameter(), parameter));
                }

                batch.BatchCommands.Add(command);
            }

            return batch;
        }

        private static DbParameter Parameter(DbParameter parameter, (string Name, object? Value, DbType? Type) value)
        {
            parameter.ParameterName = value.Name;
            if (value.Type is { } type)
            {
                parameter.DbType = type;
            }

            parameter.Value = value.Value ?? DBNull.Value;
            return parameter;
        }
    }
}
