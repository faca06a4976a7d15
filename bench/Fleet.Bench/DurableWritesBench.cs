using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Silo.Storage;
using Fleet.Twins;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;

namespace Fleet.Bench;

/// <summary>
/// P4: twin writes that reach PostgreSQL — an in-process silo on Fleet's PostgreSQL storage, C
/// concurrent callers each changing a twin's desired level (a durable change: the call returns
/// after the write committed) — next to pgbench running a single-row jsonb upsert with the same
/// number of clients on the same server.
/// </summary>
internal static partial class DurableWritesBench
{
    private const string UpsertScript = """
        \set id random(1, 2000)
        INSERT INTO bench_upsert (id, doc, version) VALUES ('lamp-' || :id, '{"level": 40, "on": true, "powerW": 23.7, "energyWh": 1234567}'::jsonb, 1) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, version = bench_upsert.version + 1;
        """;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var pgHost = args.Text("pg-host", "127.0.0.1");
        var pgPort = args.Int("pg-port", 55432);
        var pgDatabase = args.Text("pg-database", "fleet_bench");
        var connectionString = $"Host={pgHost};Port={pgPort};Username=postgres;Database={pgDatabase};Maximum Pool Size=64";
        var twins = args.Int("twins", 2000);
        var clients = args.Int("clients", 16);
        var duration = args.Duration("duration", TimeSpan.FromSeconds(20));
        var result = new BenchResult("P4");

        using (var host = await InProcessSilo.StartAsync(
            args.Int("silo-port", 14112),
            silo =>
            {
                silo.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = "bench";
                    options.ServiceId = "bench";
                });
                silo.ConfigureEndpoints(IPAddress.Loopback, args.Int("silo-port", 14112), args.Int("gateway-port", 14301));
                silo.AddFleetPostgreSqlStorage(connectionString);
            },
            cancellationToken))
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var clock = Stopwatch.StartNew();
            await InProcessSilo.ForEachAsync(0, twins, clients, async n =>
            {
                var id = "PG-L-" + n.ToString("D6", CultureInfo.InvariantCulture);
                var twin = grains.GetTwin(DeviceKind.Lamp, id);
                var provisioned = await twin.Provision(SyntheticCity.MetadataOf(0) with { RatedWatts = 60 });
                if (provisioned.Outcome is not (TwinOutcome.Ok or TwinOutcome.AlreadyExists))
                {
                    throw new InvalidOperationException($"provisioning lamp {id}: {provisioned.Error}");
                }
            }, cancellationToken);
            Console.WriteLine($"provisioned {twins:N0} lamps in {clock.Elapsed.TotalSeconds:F1} s");

            var latencies = new List<double>[clients];
            var writes = 0L;
            using var window = new CancellationTokenSource(duration);
            clock.Restart();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async worker =>
            {
                var mine = latencies[worker] = [];
                var level = 0;
                for (var n = worker; !window.IsCancellationRequested; n = (n + clients) % twins)
                {
                    var id = "PG-L-" + n.ToString("D6", CultureInfo.InvariantCulture);
                    var started = Stopwatch.GetTimestamp();
                    level = (level + 7) % 100;
                    var changed = await grains.GetTwin(DeviceKind.Lamp, id).MergeDesired(new DesiredPatch
                    {
                        Changes = ImmutableDictionary<string, TwinValue?>.Empty.Add("level", TwinValue.Of(level)),
                    });
                    if (changed.Outcome != TwinOutcome.Ok)
                    {
                        throw new InvalidOperationException($"desired of lamp {id}: {changed.Outcome} {changed.Error}");
                    }

                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref writes);
                }
            }));
            var seconds = clock.Elapsed.TotalSeconds;
            var all = latencies.SelectMany(list => list).Order().ToList();
            result["fleetWritesPerSecond"] = writes / seconds;
            result["fleetP50Ms"] = Percentiles.Of(all, 50);
            result["fleetP99Ms"] = Percentiles.Of(all, 99);
            Console.WriteLine($"Fleet: {writes / seconds:N0} twin writes/s with {clients} callers, p50 {Percentiles.Of(all, 50):F1} ms, p99 {Percentiles.Of(all, 99):F1} ms");
            await host.StopAsync(CancellationToken.None);
        }

        await using (var data = NpgsqlDataSource.Create(connectionString))
        {
            await using var create = data.CreateCommand("CREATE TABLE IF NOT EXISTS bench_upsert (id text PRIMARY KEY, doc jsonb NOT NULL, version bigint NOT NULL)");
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var script = Path.Combine(Path.GetTempPath(), $"fleet-bench-upsert-{Environment.ProcessId}.sql");
        await File.WriteAllTextAsync(script, UpsertScript, cancellationToken);
        var pgbench = args.Text("pgbench", "pgbench");
        var arguments = $"-n -h {pgHost} -p {pgPort} -U postgres -c {clients} -j 2 -T {(int)duration.TotalSeconds} -f {script} {pgDatabase}";
        var output = await RunAsync(pgbench, arguments, cancellationToken);
        File.Delete(script);
        var tps = TpsPattern().Match(output) is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
        result["pgbenchTps"] = tps;
        result["ratio"] = result["fleetWritesPerSecond"] / tps;
        result["clients"] = clients;
        result["twins"] = twins;
        result.Notes.Add($"pgbench {arguments.Replace(script, "upsert.sql", StringComparison.Ordinal)}; upsert.sql: {UpsertScript.ReplaceLineEndings(" ")}");
        Console.WriteLine($"pgbench single-row jsonb upsert: {tps:N0} tps with {clients} clients");
        await result.SaveAsync(args, cancellationToken);
        return 0;
    }

    private static async Task<string> RunAsync(string file, string arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Console.WriteLine(await output);
        Console.Error.WriteLine(await error);
        return await output;
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();
}
