using Fleet.Queries;
using Orleans.Concurrency;

namespace Fleet.Grains.Index;

/// <summary>
/// Reads the fleet index. The silo provides it (the index is a set of tables beside grain state),
/// so grains and the HTTP API ask the same questions the same way without knowing where the
/// answers are kept.
/// </summary>
public interface IFleetIndexReader
{
    Task<DeviceQueryResult> QueryDevicesAsync(DeviceQuery query, CancellationToken cancellationToken);

    Task<FleetBoroughs> GetBoroughsAsync(CancellationToken cancellationToken);

    /// <summary>Null when <paramref name="name"/> is not a borough.</summary>
    Task<BoroughSummary?> GetBoroughAsync(string name, CancellationToken cancellationToken);
}

/// <summary>
/// The .NET face of the fleet index: a stateless worker, so each silo answers from its own
/// connection to the index and calls interleave (they only read).
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class FleetQueryGrain(IFleetIndexReader index) : Grain, IFleetQueryGrain
{
    public Task<DeviceQueryResult> QueryDevices(DeviceQuery query) => index.QueryDevicesAsync(query, CancellationToken.None);

    public Task<FleetBoroughs> GetBoroughs() => index.GetBoroughsAsync(CancellationToken.None);

    public Task<BoroughSummary?> GetBorough(string name) => index.GetBoroughAsync(name, CancellationToken.None);
}
