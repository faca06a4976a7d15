using System.Collections.Concurrent;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;

namespace Fleet.Cluster.Tests;

/// <summary>
/// Simulated devices (the fleet-sim engine, over real MQTT) spread over the silos: device i starts
/// at silo i mod n and, when its silo goes, reconnects with jittered backoff along the list, as
/// docs/protocol.md tells real devices to.
/// </summary>
public sealed class DeviceFleet : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public DeviceFleet(FleetCluster cluster, IReadOnlyList<DeviceCredentials> devices)
    {
        Simulation = new Simulation(devices, new SimulatorOptions
        {
            Endpoints = cluster.MqttEndpoints,
            TelemetryInterval = TimeSpan.FromSeconds(10),

            // A device's own policy: retry fast, never wait longer than 2 s between attempts.
            BackoffInitial = TimeSpan.FromMilliseconds(200),
            BackoffMax = TimeSpan.FromSeconds(2),
            ConnectConcurrency = 16,
            Behaviour = new Fleet.Simulator.Behaviour.ModelSettings { FaultScale = 0 },
        });
        _running = Simulation.RunAsync(_stop.Token);
    }

    public Simulation Simulation { get; }

    public int Count => Simulation.Devices.Count;

    /// <summary>Devices connected now to a silo other than <paramref name="except"/>.</summary>
    public int ConnectedCount(MqttEndpoint? except = null) =>
        Simulation.Devices.Count(device => device.IsConnected && device.Endpoint is { } at && at != except);

    /// <summary>How many devices are connected to each endpoint now.</summary>
    public IReadOnlyDictionary<MqttEndpoint, int> Spread() =>
        Simulation.Devices.Where(device => device.IsConnected && device.Endpoint is not null)
            .GroupBy(device => device.Endpoint!)
            .ToDictionary(group => group.Key, group => group.Count());

    /// <summary>
    /// Reads every device's twin through the given silos until each has answered online once,
    /// re-reading only those that have not; fails with examples after <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitAllAnsweringAsync(IReadOnlyList<HttpClient> silos, TimeSpan timeout, Func<string> explain)
    {
        var waiting = Simulation.Devices.ToList();
        var problems = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        await Poll.UntilAsync(
            async () =>
            {
                var still = new ConcurrentBag<SimulatedDevice>();
                await Parallel.ForEachAsync(waiting, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (device, _) =>
                {
                    var http = silos[(int)((uint)Interlocked.Increment(ref index) % silos.Count)];
                    var twin = await FleetApi.TryGetTwinAsync(http, device.Credentials.Kind, device.Credentials.Id);
                    if (twin is null || !FleetApi.IsOnline(twin))
                    {
                        still.Add(device);
                        problems[device.Name] = $"{(twin is null ? "no answer" : twin["connectivity"]?.ToJsonString())}, device at {device.Endpoint?.ToString() ?? "none"}";
                    }
                });
                waiting = [.. still];
                return waiting.Count == 0;
            },
            "every twin to answer online",
            timeout,
            () => $"{waiting.Count} twins not answering online, e.g. " +
                string.Join("; ", waiting.Take(5).Select(device => device.Name + ": " + problems.GetValueOrDefault(device.Name))) + "\n" + explain());
    }

    public string Describe()
    {
        var stats = Simulation.Stats.Snapshot(DateTimeOffset.UtcNow);
        return $"connected {stats.Connected}/{stats.Devices}, reconnects {stats.Reconnects}, connect failures {stats.ConnectFailures}, " +
            $"published {stats.Published}, publish errors {stats.PublishErrors}, rejected {stats.PublishRejected}, last error: {stats.LastError}";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Devices still closing; the process ends them.
        }

        Simulation.Dispose();
        _stop.Dispose();
    }
}
