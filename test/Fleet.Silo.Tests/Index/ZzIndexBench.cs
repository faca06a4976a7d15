using System.Diagnostics;
using Fleet.Devices;
using Fleet.Queries;
using Fleet.Silo.Index;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;
using Fleet.Twins;
using Npgsql;
using Xunit.Abstractions;

namespace Fleet.Silo.Tests.Index;

public sealed class ZzIndexBench(ITestOutputHelper output)
{
    [Fact]
    public async Task Bench()
    {
        var engine = Environment.GetEnvironmentVariable("BENCH_ENGINE") ?? "sqlite";
        using var sqlite = new SqliteTestDatabase();
        PostgreSqlTestDatabase? pg = null;
        NpgsqlDataSource? ds = null;
        FleetDatabase database;
        if (engine == "sqlite")
        {
            await SchemaInstaller.ApplySqliteAsync(sqlite.Path);
            database = new SqliteFleetDatabase(sqlite.Path);
        }
        else
        {
            pg = await PostgreSqlTestDatabase.CreateAsync();
            ds = NpgsqlDataSource.Create(pg.ConnectionString);
            await SchemaInstaller.ApplyPostgreSqlAsync(ds);
            database = new PostgreSqlFleetDatabase(ds);
        }

        database.MarkSchemaApplied();
        var store = new FleetIndexStore(database);
        var reader = new FleetIndexReader(database, TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var random = new Random(42);
        var sw = Stopwatch.StartNew();
        var batch = new List<IndexChange>();
        for (var i = 0; i < 300_000; i++)
        {
            var kind = (i % 100) switch { < 44 => DeviceKind.Lamp, < 55 => DeviceKind.Parking, < 56 => DeviceKind.Wifi, _ => DeviceKind.Meter };
            var borough = Boroughs.All[random.Next(Boroughs.All.Count)];
            var entry = new IndexEntry
            {
                Kind = kind, Id = $"DU-{kind.ToWire()[0]}-{i:D7}", Borough = borough, Lat = 51.33 + random.NextDouble() * 0.25, Lon = 6.6 + random.NextDouble() * 0.25,
                Online = random.Next(10) != 0, LastSeen = now.AddSeconds(-random.Next(86400)), Version = 1,
                Faults = kind == DeviceKind.Lamp && random.Next(100) == 0 ? [FaultCodes.LampFailure] : [],
                LampOn = kind == DeviceKind.Lamp ? random.Next(2) == 0 : null, LampLevel = kind == DeviceKind.Lamp ? 80 : null, LampPowerW = kind == DeviceKind.Lamp ? 50 : null,
                ParkingState = kind == DeviceKind.Parking ? TwinSchema.ParkingStates[random.Next(4)] : null,
                MeterMedium = kind == DeviceKind.Meter ? MeterMedia.All[random.Next(4)] : null,
                Street = "Straße " + random.Next(3000),
            };
            batch.Add(IndexChange.Upsert(entry, kind == DeviceKind.Meter ? [new ConsumptionPoint(now.AddMinutes(-random.Next(60)), 1), new ConsumptionPoint(now.AddHours(-random.Next(2, 23)), 2)] : null));
            if (batch.Count == 5000)
            {
                await store.ApplyAsync(batch, now, now.AddDays(-2), CancellationToken.None);
                batch.Clear();
            }
        }

        await store.ApplyAsync(batch, now, now.AddDays(-2), CancellationToken.None);
        output.WriteLine($"{engine}: loaded 300k in {sw.ElapsedMilliseconds} ms");
        if (engine == "sqlite")
        {
            await sqlite.ExecuteAsync("ANALYZE");
            await sqlite.ExecuteAsync("VACUUM INTO '/tmp/bench/fleet.db'");
        }
        else
        {
            await pg!.ExecuteAsync("ANALYZE");
        }

        async Task Time(string name, DeviceQuery query)
        {
            var times = new List<double>();
            DeviceQueryResult? result = null;
            for (var i = 0; i < 20; i++)
            {
                var t = Stopwatch.StartNew();
                result = await reader.QueryDevicesAsync(query, CancellationToken.None);
                times.Add(t.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            output.WriteLine($"{name}: p50 {times[10]:F1} ms p95 {times[18]:F1} ms, {result!.Page!.Items.Length} items");
        }

        await Time("no filter", new DeviceQuery());
        await Time("lamp+Hamborn+lampFailure", new DeviceQuery { Kind = DeviceKind.Lamp, Borough = Boroughs.Hamborn, Fault = FaultCodes.LampFailure });
        await Time("fault only", new DeviceQuery { Fault = FaultCodes.LampFailure });
        await Time("rare fault (leak)", new DeviceQuery { Fault = FaultCodes.Leak });
        await Time("borough Mitte", new DeviceQuery { Borough = Boroughs.Mitte });
        await Time("parking Mitte", new DeviceQuery { Kind = DeviceKind.Parking, Borough = Boroughs.Mitte });
        await Time("offline", new DeviceQuery { Online = false });
        await Time("-lastSeen", new DeviceQuery { Sort = DeviceSort.LastSeenDescending });
        await Time("borough sort", new DeviceQuery { Sort = DeviceSort.Borough });
        await Time("q street", new DeviceQuery { Text = "straße 1234" });
        await Time("bbox", new DeviceQuery { Area = new BoundingBox(6.70, 51.40, 6.72, 51.42) });
        await Time("limit 1000", new DeviceQuery { Limit = 1000 });
        var deep = (await reader.QueryDevicesAsync(new DeviceQuery { Limit = 1000 }, CancellationToken.None)).Page!;
        for (var i = 0; i < 100; i++)
        {
            deep = (await reader.QueryDevicesAsync(new DeviceQuery { Limit = 1000, Cursor = deep.Next }, CancellationToken.None)).Page!;
        }

        await Time("page 102 (cursor)", new DeviceQuery { Cursor = deep.Next });
        var aggregateTimes = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var t = Stopwatch.StartNew();
            await reader.GetBoroughsAsync(CancellationToken.None);
            aggregateTimes.Add(t.Elapsed.TotalMilliseconds);
        }

        output.WriteLine($"boroughs: {string.Join(", ", aggregateTimes.Select(x => x.ToString("F0")))} ms");
        var one = Stopwatch.StartNew();
        await reader.GetBoroughAsync(Boroughs.Mitte, CancellationToken.None);
        output.WriteLine($"one borough: {one.ElapsedMilliseconds} ms");

        // Writer throughput: 5000 updates of existing rows in batches of 500.
        var w = Stopwatch.StartNew();
        for (var b = 0; b < 10; b++)
        {
            var changes = Enumerable.Range(b * 500, 500).Select(i => IndexChange.Upsert(new IndexEntry { Kind = DeviceKind.Lamp, Id = $"DU-l-{i * 100 / 44:D7}", Borough = Boroughs.Mitte, Version = 2 + b, LastSeen = now, Online = true })).ToList();
            await store.ApplyAsync(changes, now, now.AddDays(-2), CancellationToken.None);
        }

        output.WriteLine($"5000 upserts in batches of 500: {w.ElapsedMilliseconds} ms");
        if (ds is not null) { await ds.DisposeAsync(); }
        if (pg is not null) { await pg.DisposeAsync(); }
    }
}
