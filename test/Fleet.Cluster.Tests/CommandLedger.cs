using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;

namespace Fleet.Cluster.Tests;

/// <summary>
/// Commands the test sent ("blink" to lamps), each with its own id. Afterwards every command Fleet
/// knows must end <c>succeeded</c> with exactly one success in its history, and the devices must
/// have carried out each exactly once.
/// </summary>
public sealed class CommandLedger(FleetCluster cluster)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, string> _attempted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SiloProcess, HttpClient> _clients = new();

    /// <summary>Sends once through <paramref name="silo"/>; true when Fleet answered that it accepted the command.</summary>
    public async Task<bool> TrySendAsync(SiloProcess silo, string lampId, string commandId)
    {
        _attempted[commandId] = lampId;
        return await FleetApi.TrySendCommandAsync(Client(silo), "lamp", lampId, commandId, "blink", new JsonObject { ["seconds"] = 1 }) is not null;
    }

    /// <summary>Sends with ?wait=5s through the running silos, again with the same id until answered, and waits for the end.</summary>
    public async Task<string?> SendAndWaitAsync(string lampId, string commandId)
    {
        _attempted[commandId] = lampId;
        var deadline = DateTime.UtcNow + Deadline;
        JsonObject? command = null;
        while (command is null && DateTime.UtcNow < deadline)
        {
            command = await FleetApi.TrySendCommandAsync(Client(cluster.NextRunning()), "lamp", lampId, commandId, "blink", new JsonObject { ["seconds"] = 1 }, wait: "5s");
            if (command is null)
            {
                await Task.Delay(200);
            }
        }

        return FleetApi.IsFinal(command) ? FleetApi.StateOf(command) : (await FinalAsync(lampId, commandId)).State;
    }

    /// <summary>Every attempted command Fleet knows, with how it ended and how many successes its history records.</summary>
    public async Task<IReadOnlyList<(string Id, string? State, int Successes)>> OutcomesAsync()
    {
        var outcomes = new ConcurrentBag<(string, string?, int)>();
        await Parallel.ForEachAsync(_attempted, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entry, _) =>
        {
            var (state, successes, known) = await FinalAsync(entry.Value, entry.Key);
            if (known)
            {
                outcomes.Add((entry.Key, state, successes));
            }
        });
        return [.. outcomes];
    }

    private async Task<(string? State, int Successes, bool Known)> FinalAsync(string lampId, string commandId)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            var answer = await FleetApi.TryGetCommandAsync(Client(cluster.NextRunning()), "lamp", lampId, commandId, "5s");
            if (answer is { Status: HttpStatusCode.NotFound })
            {
                return (null, 0, false);
            }

            if (answer is { Command: { } command } && FleetApi.IsFinal(command))
            {
                var successes = command["transitions"]?.AsArray().Count(step => step?["state"]?.GetValue<string>() == "succeeded") ?? 0;
                return (FleetApi.StateOf(command), successes, true);
            }

            if (answer is null)
            {
                await Task.Delay(200);
            }
        }

        return ("not closed within " + Deadline.TotalSeconds + " s", 0, true);
    }

    private HttpClient Client(SiloProcess silo) => _clients.GetOrAdd(silo, cluster.Http);
}
