using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Fleet.Simulator.Protocol;

namespace Fleet.Cluster.Tests;

/// <summary>
/// Operator load during a test: a few workers, each owning its own lamps, set their desired level
/// one after another through whichever silos are running. A change that is not answered 200 is
/// sent again (to the next silo) until it is, so for every lamp the last accepted level is known —
/// and must be what the twin holds afterwards.
/// </summary>
public sealed class DesiredChanges(FleetCluster cluster, IReadOnlyList<DeviceCredentials> lamps, int workers = 4)
{
    /// <summary>How long one change may go unaccepted before the test gives up on the cluster.</summary>
    private static readonly TimeSpan AcceptDeadline = TimeSpan.FromSeconds(90);

    private readonly ConcurrentDictionary<string, int> _accepted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SiloProcess, HttpClient> _clients = new();
    private int _retries;
    private int _count;

    public IReadOnlyDictionary<string, int> Accepted => _accepted;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Changes that were refused or unanswered and sent again.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Runs until <paramref name="stop"/> fires; a change in flight then is still carried to acceptance.</summary>
    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(worker => WorkAsync(lamps.Where((_, index) => index % workers == worker).Select(lamp => lamp.Id).ToList(), worker, stop)));

    /// <summary>Lamps whose twin does not hold the last accepted level, as "id: wanted/found".</summary>
    public Task<IReadOnlyList<string>> FindLostAsync() => FindAsync((twin, level) =>
        twin?["desired"]?["level"]?.GetValue<double>() == level ? null : $"desired {twin?["desired"]?["level"]?.ToJsonString() ?? "no answer"}");

    /// <summary>Lamps whose device has not applied (reported) the last accepted level yet.</summary>
    public Task<IReadOnlyList<string>> FindUndeliveredAsync() => FindAsync((twin, level) =>
        twin?["reported"]?["level"]?.GetValue<double>() == level ? null : $"reported {twin?["reported"]?["level"]?.ToJsonString() ?? "no answer"}");

    private async Task<IReadOnlyList<string>> FindAsync(Func<JsonObject?, int, string?> problem)
    {
        var found = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(_accepted, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entry, _) =>
        {
            JsonObject? twin = null;
            for (var attempt = 0; attempt < 20 && twin is null; attempt++)
            {
                twin = await FleetApi.TryGetTwinAsync(Client(cluster.NextRunning()), "lamp", entry.Key);
                if (twin is null)
                {
                    await Task.Delay(250, CancellationToken.None);
                }
            }

            if (problem(twin, entry.Value) is { } text)
            {
                found.Add($"{entry.Key}: level {entry.Value} accepted, {text}");
            }
        });
        return [.. found];
    }

    private async Task WorkAsync(List<string> ids, int worker, CancellationToken stop)
    {
        var random = new Random(worker);
        var next = 0;
        while (!stop.IsCancellationRequested && ids.Count > 0)
        {
            var id = ids[next++ % ids.Count];
            var level = random.Next(1, 101);
            var deadline = DateTime.UtcNow + AcceptDeadline;
            while (!await FleetApi.TrySetDesiredAsync(Client(cluster.NextRunning()), "lamp", id, "level", JsonValue.Create(level)))
            {
                Interlocked.Increment(ref _retries);
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail($"The desired change of lamp {id} was not accepted by any silo within {AcceptDeadline.TotalSeconds:0} s.\n{cluster.Logs()}");
                }

                await Task.Delay(200, CancellationToken.None);
            }

            _accepted[id] = level;
            Interlocked.Increment(ref _count);
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private HttpClient Client(SiloProcess silo) => _clients.GetOrAdd(silo, cluster.Http);
}
