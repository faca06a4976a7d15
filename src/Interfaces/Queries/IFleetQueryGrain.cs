using System.Runtime.CompilerServices;

namespace Fleet.Queries;

/// <summary>
/// Fleet-wide questions for .NET city systems (through Fleet.Client): the same device query and
/// borough figures as GET /api/devices and GET /api/boroughs. A stateless worker: every silo
/// answers locally from the fleet index, so there is no hot grain.
/// </summary>
[Alias("Fleet.IFleetQueryGrain")]
public interface IFleetQueryGrain : IGrainWithIntegerKey
{
    /// <summary>One page of devices, or the problem with the query.</summary>
    [Alias("QueryDevices")]
    Task<DeviceQueryResult> QueryDevices(DeviceQuery query);

    [Alias("GetBoroughs")]
    Task<FleetBoroughs> GetBoroughs();

    /// <summary>One borough (names as <see cref="Devices.Boroughs.TryNormalize"/> accepts them), or null if there is no such borough.</summary>
    [Alias("GetBorough")]
    Task<BoroughSummary?> GetBorough(string name);
}

public static class FleetQueries
{
    /// <summary>The query grain (any silo serves it).</summary>
    public static IFleetQueryGrain GetFleetQueries(this IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IFleetQueryGrain>(0);
    }

    /// <summary>Every device matching the query, page after page; throws <see cref="ArgumentException"/> for an invalid query.</summary>
    public static async IAsyncEnumerable<DeviceSummary> QueryAllDevices(
        this IFleetQueryGrain queries,
        DeviceQuery query,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(query);
        var next = query;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await queries.QueryDevices(next);
            if (result.Page is not { } page)
            {
                throw new ArgumentException(result.Problem?.Error ?? "The query is not valid.", result.Problem?.Parameter ?? nameof(query));
            }

            foreach (var item in page.Items)
            {
                yield return item;
            }

            if (page.Next is null)
            {
                yield break;
            }

            next = next with { Cursor = page.Next };
        }
    }
}
