using System.Diagnostics;
using Fleet.Devices;
using Fleet.Queries;
using Fleet.Silo.Index;
using Fleet.Silo.Storage;
using Fleet.Twins;
using Npgsql;

namespace Fleet.Bench;

/// <summary>
/// P6: filtered pages over a fleet index of N devices, on SQLite or PostgreSQL, through the same
/// reader GET /api/devices uses (so: SQL + row mapping, without HTTP and JSON). The index is filled
/// straight through the index store, in batches, the way the index writer writes it.
/// </summary>
internal static class FleetQueryBench
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var devices = args.Int("devices", 300_000);
        var iterations = args.Int("iterations", 60);
        var store = args.Text("store", "sqlite");
        var result = new BenchResult("P6-" + store);

        FleetDatabase database;
        NpgsqlDataSource? dataSource = null;
        if (store == "postgres")
        {
            dataSource = NpgsqlDataSource.Create($"Host={args.Text("pg-host", "127.0.0.1")};Port={args.Int("pg-port", 55432)};Username=postgres;Database={args.Text("pg-database", "fleet_bench")}");
            await SchemaInstaller.ApplyPostgreSqlAsync(dataSource, cancellationToken: cancellationToken);
            database = new PostgreSqlFleetDatabase(dataSource);
        }
        else
        {
            var path = Path.GetFullPath(args.Text("sqlite", "bench-index.db"));
            await SchemaInstaller.ApplySqliteAsync(path, cancellationToken: cancellationToken);
            database = new SqliteFleetDatabase(path);
        }

        database.MarkSchemaApplied();
        try
        {
            await FillAsync(database, devices, result, cancellationToken);
            var reader = new FleetIndexReader(database, TimeProvider.System);
            foreach (var (name, query) in Queries())
            {
                var page = await reader.QueryDevicesAsync(query, cancellationToken);
                for (var i = 0; i < 2; i++)
                {
                    await reader.QueryDevicesAsync(query, cancellationToken);
                }

                var times = new List<double>(iterations);
                for (var i = 0; i < iterations; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await reader.QueryDevicesAsync(query, cancellationToken);
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                times.Sort();
                var items = page.Page?.Items.Length ?? -1;
                result[name + ".p50"] = Percentiles.Of(times, 50);
                result[name + ".p95"] = Percentiles.Of(times, 95);
                result[name + ".max"] = times[^1];
                result[name + ".items"] = items;
                Console.WriteLine($"{store} {name,-28} {items,4} items  p50 {Percentiles.Of(times, 50),7:F1} ms  p95 {Percentiles.Of(times, 95),7:F1} ms  max {times[^1],7:F1} ms");
            }
        }
        finally
        {
            if (dataSource is not null)
            {
                await dataSource.DisposeAsync();
            }
        }

        result["devices"] = devices;
        result["iterations"] = iterations;
        await result.SaveAsync(args, cancellationToken);
        return 0;
    }

    /// <summary>The shapes of issue 5's target: q=, online=false, bbox, kind+borough+fault; each one page of 100.</summary>
    public static IEnumerable<(string Name, DeviceQuery Query)> Queries()
    {
        yield return ("q=street", new DeviceQuery { Text = "kaiser-wilhelm" });
        yield return ("q=one id", new DeviceQuery { Text = SyntheticCity.IdOf(123_457).ToLowerInvariant() });
        yield return ("online=false", new DeviceQuery { Online = false });
        yield return ("bbox 1 km2", new DeviceQuery { Area = new BoundingBox(6.760, 51.430, 6.774, 51.439) });
        yield return ("bbox 25 km2", new DeviceQuery { Area = new BoundingBox(6.72, 51.41, 6.79, 51.455) });
        yield return ("kind+borough+fault", new DeviceQuery { Kind = DeviceKind.Lamp, Borough = Boroughs.All[3], Fault = FaultCodes.LampFailure });
        yield return ("kind+borough -lastSeen", new DeviceQuery { Kind = DeviceKind.Meter, Borough = Boroughs.All[1], Sort = DeviceSort.LastSeenDescending });
    }

    private static async Task FillAsync(FleetDatabase database, int devices, BenchResult result, CancellationToken cancellationToken)
    {
        long existing;
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = "SELECT COUNT(*) FROM fleet_devices";
                existing = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        if (existing >= devices)
        {
            Console.WriteLine($"the index already holds {existing:N0} devices");
            return;
        }

        var clock = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        var entries = Enumerable.Range((int)existing, devices - (int)existing).Select(n => EntryOf(n, now));
        if (database is PostgreSqlFleetDatabase)
        {
            await CopyIntoPostgreSqlAsync(database, entries, now, cancellationToken);
        }
        else
        {
            // The text index is filled afterwards the way an upgrade fills it: without the insert
            // trigger, then sqlite-0005 again (it recreates the trigger and indexes every row in one statement).
            await database.WriteAsync(async (connection, transaction) => await ExecuteAsync(connection, transaction, "DROP TRIGGER IF EXISTS fleet_devices_search_insert; DELETE FROM fleet_device_search_keys; DELETE FROM fleet_device_search", cancellationToken), cancellationToken);
            await InsertIntoSqliteAsync(database, entries, now, cancellationToken);
            await SchemaInstaller.ApplySqliteAsync(((SqliteFleetDatabase)database).FullPath, cancellationToken: cancellationToken);
        }

        result["fillPerSecond"] = (devices - existing) / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"filled the index with {devices - existing:N0} devices in {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static async Task<int> ExecuteAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command)
        {
            command.Transaction = transaction;
            command.CommandText = sql;
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static readonly string[] Columns =
    [
        "kind", "id", "borough", "lat", "lon", "online", "last_seen", "faults", "street", "zone", "model", "search",
        "lamp_on", "lamp_level", "lamp_power_w", "parking_state", "wifi_up", "wifi_clients",
        "meter_medium", "meter_register", "meter_consumption", "version", "updated_at",
    ];

    private static object?[] Row(IndexEntry entry, Func<DateTimeOffset, object> time, DateTimeOffset now) =>
    [
        entry.Kind.ToWire(), entry.Id, entry.Borough, entry.Lat, entry.Lon, entry.Online ? 1 : 0, time(entry.LastSeen ?? DateTimeOffset.MinValue),
        string.Join(',', entry.Faults), entry.Street, entry.Zone, entry.Model, entry.Search,
        entry.LampOn is { } on ? (on ? 1 : 0) : null, entry.LampLevel, entry.LampPowerW, entry.ParkingState,
        entry.WifiUp is { } up ? (up ? 1 : 0) : null, entry.WifiClients, entry.MeterMedium, entry.MeterRegister, entry.MeterConsumption,
        entry.Version, time(now),
    ];

    /// <summary>
    /// A bulk fill, not the index writer's path: one prepared INSERT per device in one transaction.
    /// The FTS triggers of sqlite-0005 fire as they do for the writer's upserts.
    /// </summary>
    private static async Task InsertIntoSqliteAsync(FleetDatabase database, IEnumerable<IndexEntry> entries, DateTimeOffset now, CancellationToken cancellationToken) =>
        await database.WriteAsync(
            async (connection, transaction) =>
            {
                var insert = connection.CreateCommand();
                var fault = connection.CreateCommand();
                await using (insert)
                await using (fault)
                {
                    insert.Transaction = transaction;
                    fault.Transaction = transaction;
                    insert.CommandText = $"INSERT INTO fleet_devices ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(column => "@" + column))})";
                    fault.CommandText = "INSERT INTO fleet_device_faults (code, kind, id) VALUES (@code, @kind, @id)";
                    foreach (var entry in entries)
                    {
                        insert.Parameters.Clear();
                        foreach (var (column, value) in Columns.Zip(Row(entry, time => database.TimeValue(FleetDatabase.ToMicroseconds(time)), now)))
                        {
                            FleetDatabase.AddParameter(insert, column, value);
                        }

                        await insert.ExecuteNonQueryAsync(cancellationToken);
                        foreach (var code in entry.Faults)
                        {
                            fault.Parameters.Clear();
                            FleetDatabase.AddParameter(fault, "code", code);
                            FleetDatabase.AddParameter(fault, "kind", entry.Kind.ToWire());
                            FleetDatabase.AddParameter(fault, "id", entry.Id);
                            await fault.ExecuteNonQueryAsync(cancellationToken);
                        }
                    }
                }

                return 0;
            },
            cancellationToken);

    /// <summary>A bulk fill with binary COPY, then ANALYZE (autovacuum would, a little later).</summary>
    private static async Task CopyIntoPostgreSqlAsync(FleetDatabase database, IEnumerable<IndexEntry> entries, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var faults = new List<(string Code, string Kind, string Id)>();
            var writer = await connection.BeginBinaryImportAsync($"COPY fleet_devices ({string.Join(", ", Columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            await using (writer)
            {
                foreach (var entry in entries)
                {
                    await writer.StartRowAsync(cancellationToken);
                    var row = Row(entry, time => time.UtcDateTime, now);
                    for (var i = 0; i < row.Length; i++)
                    {
                        var type = Columns[i] switch
                        {
                            "lat" or "lon" or "lamp_level" or "lamp_power_w" or "meter_register" or "meter_consumption" => NpgsqlTypes.NpgsqlDbType.Double,
                            "online" or "lamp_on" or "wifi_up" or "wifi_clients" => NpgsqlTypes.NpgsqlDbType.Integer,
                            "last_seen" or "updated_at" => NpgsqlTypes.NpgsqlDbType.TimestampTz,
                            "version" => NpgsqlTypes.NpgsqlDbType.Bigint,
                            _ => NpgsqlTypes.NpgsqlDbType.Text,
                        };
                        if (row[i] is null)
                        {
                            await writer.WriteNullAsync(cancellationToken);
                        }
                        else if (type == NpgsqlTypes.NpgsqlDbType.Bigint)
                        {
                            await writer.WriteAsync(Convert.ToInt64(row[i], System.Globalization.CultureInfo.InvariantCulture), type, cancellationToken);
                        }
                        else
                        {
                            await writer.WriteAsync(row[i], type, cancellationToken);
                        }
                    }

                    faults.AddRange(entry.Faults.Select(code => (code, entry.Kind.ToWire(), entry.Id)));
                }

                await writer.CompleteAsync(cancellationToken);
            }

            var faultWriter = await connection.BeginBinaryImportAsync("COPY fleet_device_faults (code, kind, id) FROM STDIN (FORMAT BINARY)", cancellationToken);
            await using (faultWriter)
            {
                foreach (var (code, kind, id) in faults)
                {
                    await faultWriter.WriteRowAsync(cancellationToken, code, kind, id);
                }

                await faultWriter.CompleteAsync(cancellationToken);
            }

            await using var analyze = new NpgsqlCommand("ANALYZE fleet_devices; ANALYZE fleet_device_faults", connection);
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static IndexEntry EntryOf(int n, DateTimeOffset now)
    {
        var kind = SyntheticCity.KindOf(n);
        var metadata = SyntheticCity.MetadataOf(n);
        var values = SyntheticCity.TelemetryOf(n, 1, now).Values;
        string[] faults = kind switch
        {
            DeviceKind.Lamp when n % 53 == 0 => [FaultCodes.LampFailure],
            DeviceKind.Meter when n % 97 == 0 => [FaultCodes.Leak],
            DeviceKind.Parking when n % 71 == 0 => [FaultCodes.StuckOccupied],
            _ => [],
        };
        double? Number(string field) => values.TryGetValue(field, out var value) && value.Type == TwinValueType.Number ? value.Number : null;
        return new IndexEntry
        {
            Kind = kind,
            Id = SyntheticCity.IdOf(n),
            Borough = metadata.Borough,
            Lat = metadata.Lat,
            Lon = metadata.Lon,
            Online = n % 10 != 3,
            LastSeen = now.AddSeconds(-(n % 86_400)),
            Faults = [.. faults],
            Street = metadata.Street,
            Zone = metadata.Zone,
            Model = metadata.Model,
            LampOn = kind == DeviceKind.Lamp ? true : null,
            LampLevel = kind == DeviceKind.Lamp ? Number("level") : null,
            LampPowerW = kind == DeviceKind.Lamp ? Number("powerW") : null,
            ParkingState = kind == DeviceKind.Parking ? values["state"].Text : null,
            WifiUp = kind == DeviceKind.Wifi ? true : null,
            WifiClients = kind == DeviceKind.Wifi ? (int)values["clients"].Number : null,
            MeterMedium = metadata.Medium,
            MeterRegister = kind == DeviceKind.Meter ? Number("register") : null,
            Version = 1,
        };
    }
}
