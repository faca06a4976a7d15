using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Engine;

/// <summary>
/// A simulated city: one <see cref="SimulatedDevice"/> per credential, each on its own MQTT
/// connection, sharing one connect gate (bounded concurrency, no thundering herd) and one set of
/// counters. Hostable in-process: construct, <see cref="RunAsync"/> with a token, cancel to stop.
/// </summary>
public sealed class Simulation : IDisposable
{
    private readonly SemaphoreSlim _connectGate;

    public Simulation(IEnumerable<DeviceCredentials> devices, SimulatorOptions options)
    {
        options.Validate();

        // One boot number for the whole run (see SimulatorOptions.Boot).
        Options = options with { Boot = options.Boot ?? options.Time.GetUtcNow().ToUnixTimeSeconds() };
        _connectGate = new SemaphoreSlim(options.ConnectConcurrency, options.ConnectConcurrency);
        Devices = devices
            .Select((credentials, index) => new SimulatedDevice(
                credentials,
                Options,
                new DevicePlacement(
                    index % Options.Endpoints.Count,
                    Options.SourceAddresses.Count > 0 ? Options.SourceAddresses[index % Options.SourceAddresses.Count] : null),
                Stats,
                _connectGate))
            .ToList();
    }

    public SimulatorOptions Options { get; }

    public SimulatorStats Stats { get; } = new();

    public IReadOnlyList<SimulatedDevice> Devices { get; }

    /// <summary>Runs every device until the token fires; each then disconnects cleanly.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Devices.Select(device => device.RunAsync(cancellationToken)));

    /// <summary>
    /// Picks the devices to simulate: only the given kinds (all when empty), at most
    /// <paramref name="count"/> of them, mixed in the proportions of the file (not the first N lamps).
    /// </summary>
    public static IReadOnlyList<DeviceCredentials> Select(IReadOnlyList<DeviceCredentials> all, IReadOnlyCollection<string>? kinds = null, int? count = null)
    {
        var chosen = kinds is { Count: > 0 } ? all.Where(d => kinds.Contains(d.Kind)).ToList() : [.. all];
        if (count is not { } limit || limit >= chosen.Count)
        {
            return chosen;
        }

        // Give each device its relative position within its kind; taking the lowest positions keeps
        // every kind's share, and the file order within a kind.
        return chosen
            .GroupBy(d => d.Kind, StringComparer.Ordinal)
            .SelectMany(group => group.Select((device, index) => (Device: device, Position: (index + 0.5) / group.Count())))
            .OrderBy(entry => entry.Position)
            .Take(Math.Max(0, limit))
            .Select(entry => entry.Device)
            .ToList();
    }

    public void Dispose()
    {
        foreach (var device in Devices)
        {
            device.Dispose();
        }

        _connectGate.Dispose();
    }
}
