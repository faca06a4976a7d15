using System.Diagnostics;
using System.Runtime;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Grains.Twins;
using Fleet.Twins;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Fleet.Bench;

/// <summary>
/// P3: activates twins in an in-process silo — each provisioned and with one telemetry report
/// applied, so it holds metadata, reported values, timestamps and a history point — then measures
/// the managed heap and RSS after a full compacting GC. Bytes per twin = growth / twins.
/// Also measures the same twin states without Orleans, to tell state from activation overhead.
/// </summary>
internal static class ResidentTwinsBench
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var steps = args.Ints("counts", 100_000, 1_000_000);
        var parallelism = args.Int("parallelism", 2000);
        var result = new BenchResult("P3");

        var stateOnly = MeasureStatesAlone(args.Int("state-sample", 100_000));
        result["stateOnlyBytesPerTwin"] = stateOnly;
        Console.WriteLine($"twin state alone (TwinState built by the twin engine, no Orleans): {stateOnly:N0} B per twin");

        using var host = await InProcessSilo.StartAsync(
            args.Int("silo-port", 14111),
            silo =>
            {
                silo.UseLocalhostClustering(args.Int("silo-port", 14111), args.Int("gateway-port", 14300));
                silo.Services.AddKeyedSingleton<IGrainStorage>("twins", (_, _) => new DiscardingGrainStorage());
            },
            cancellationToken);
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);

        // Warm the call path with a few twins, then measure what an activation of nothing costs.
        await ActivateAsync(grains, 0, 100, parallelism, cancellationToken);
        var empties = args.Int("empty-grains", 50_000);
        var (emptyBase, _) = Settle();
        await InProcessSilo.ForEachAsync(0, empties, parallelism, n => grains.GetGrain<IEmptyGrain>("e" + n.ToString(System.Globalization.CultureInfo.InvariantCulture)).Touch(), cancellationToken);
        var (emptyHeap, _) = Settle();
        result["emptyGrainBytes"] = (emptyHeap - emptyBase) / (double)empties;
        Console.WriteLine($"an activation of an empty grain (Orleans' own cost): {result["emptyGrainBytes"]:N0} B");

        var (baseHeap, baseRss) = Settle();
        var activated = 100;
        var budget = Stopwatch.StartNew();
        var timeBudget = args.Duration("budget", TimeSpan.FromMinutes(5));
        foreach (var wanted in steps)
        {
            var clock = Stopwatch.StartNew();
            var count = activated;
            while (count < wanted && budget.Elapsed < timeBudget)
            {
                var next = Math.Min(wanted, count + 20_000);
                await ActivateAsync(grains, count, next, parallelism, cancellationToken);
                count = next;
            }

            if (count < wanted)
            {
                result.Notes.Add($"the time budget ({timeBudget.TotalSeconds:N0} s) ran out at {count:N0} of {wanted:N0} twins");
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var activations = await management.GetTotalActivationCount(CancellationToken.None);
            var (heap, rss) = Settle();
            var twins = count - 100;
            var key = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            result["twins" + key] = count;
            result["activations" + key] = activations;
            result["activationPerSecond" + key] = (count - activated) / seconds;
            result["heapMiB" + key] = heap / 1048576.0;
            result["rssMiB" + key] = rss / 1048576.0;
            result["heapBytesPerTwin" + key] = (heap - baseHeap) / (double)twins;
            result["rssBytesPerTwin" + key] = (rss - baseRss) / (double)twins;
            Console.WriteLine(
                $"{count:N0} twins ({activations:N0} activations, {(count - activated) / seconds:N0} activated/s): heap {heap / 1048576.0:N0} MiB, RSS {rss / 1048576.0:N0} MiB → " +
                $"{(heap - baseHeap) / (double)twins:N0} B heap, {(rss - baseRss) / (double)twins:N0} B RSS per twin");
            activated = count;
            if (count < wanted)
            {
                break;
            }
        }

        result["baseHeapMiB"] = baseHeap / 1048576.0;
        result["baseRssMiB"] = baseRss / 1048576.0;
        if (args.Duration("hold", TimeSpan.Zero) is { TotalSeconds: > 0 } hold)
        {
            // To see where the bytes go: dotnet-gcdump collect -p <pid>, then dotnet-gcdump report.
            Console.WriteLine($"holding the twins for {hold.TotalSeconds:N0} s: process {Environment.ProcessId}");
            await Task.Delay(hold, cancellationToken);
        }

        await host.StopAsync(CancellationToken.None);
        await result.SaveAsync(args, cancellationToken);
        return 0;
    }

    private static Task ActivateAsync(IGrainFactory grains, int from, int to, int parallelism, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        return InProcessSilo.ForEachAsync(from, to, parallelism, async n =>
        {
            var kind = SyntheticCity.KindOf(n);
            var id = SyntheticCity.IdOf(n);
            var provisioned = await grains.GetTwin(kind, id).Provision(SyntheticCity.MetadataOf(n));
            if (provisioned.Outcome != TwinOutcome.Ok)
            {
                throw new InvalidOperationException($"provisioning {kind} {id}: {provisioned.Error}");
            }

            var report = await grains.GetEndpoint(kind, id).Report(SyntheticCity.TelemetryOf(n, 1, now));
            if (report.Outcome != ReportOutcome.Applied)
            {
                throw new InvalidOperationException($"report of {kind} {id}: {report.Outcome} {report.Error}");
            }
        }, cancellationToken);
    }

    /// <summary>The twin states alone, built the way a grain builds them, held in a list.</summary>
    private static double MeasureStatesAlone(int count)
    {
        var options = new TwinOptions();
        var engines = new Dictionary<DeviceKind, TwinEngine>
        {
            [DeviceKind.Lamp] = new(LampRules.Instance, options),
            [DeviceKind.Parking] = new(ParkingRules.Instance, options),
            [DeviceKind.Wifi] = new(WifiRules.Instance, options),
            [DeviceKind.Meter] = new(MeterRules.Instance, options),
        };
        var (before, _) = Settle();
        var states = new List<TwinState>(count);
        var now = DateTimeOffset.UtcNow;
        for (var n = 0; n < count; n++)
        {
            var kind = SyntheticCity.KindOf(n);
            var state = new TwinState
            {
                Provisioned = true,
                Metadata = MetadataRules.Validate(kind, SyntheticCity.MetadataOf(n), out _)!,
                SecretHash = new byte[32],
                Version = 1,
            };
            engines[kind].Apply(state, SyntheticCity.TelemetryOf(n, 1, now), now);
            states.Add(state);
        }

        var (after, _) = Settle();
        GC.KeepAlive(states);
        return (after - before) / (double)count;
    }

    private static (long Heap, long Rss) Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return (GC.GetTotalMemory(forceFullCollection: true), ProcessStats.RssBytes(ProcessStats.Self));
    }
}
