using Fleet.Devices;
using Fleet.Grains.Index;
using Fleet.Queries;

namespace Fleet.Silo.Ngsi;

/// <summary>A page of devices of one NGSI-LD type, in id order.</summary>
public sealed record NgsiListing(IReadOnlyList<(DeviceKind Kind, string Id)> Devices, bool More);

/// <summary>
/// What the NGSI-LD view needs to list entities by type: devices in a stable order, by offset, and
/// how many there are. Answered by the fleet index; the twins themselves come from their grains.
/// </summary>
public interface INgsiDirectory
{
    Task<NgsiListing> ListAsync(string type, int offset, int limit, CancellationToken cancellationToken);

    Task<long> CountAsync(string type, CancellationToken cancellationToken);
}

/// <summary>The fleet index is not running in this silo, so entities cannot be listed.</summary>
public sealed class NgsiDirectoryUnavailableException() : InvalidOperationException("The fleet index is not available in this silo.");

/// <summary>
/// Lists by walking the fleet index in id order (GET /api/devices' query). Water meters are the
/// meters whose medium is water, filtered while walking. An offset costs walking past it, so it is
/// capped (<see cref="NgsiApi.MaxOffset"/>).
/// </summary>
internal sealed class IndexNgsiDirectory(IServiceProvider services) : INgsiDirectory
{
    private const int WalkPage = 1000;

    public async Task<NgsiListing> ListAsync(string type, int offset, int limit, CancellationToken cancellationToken)
    {
        var index = Index();
        var query = new DeviceQuery { Kind = NgsiTypes.KindOf(type), Sort = DeviceSort.Id, Limit = WalkPage };
        var skipped = 0;
        var devices = new List<(DeviceKind, string)>();
        while (true)
        {
            var result = await index.QueryDevicesAsync(query, cancellationToken);
            var page = result.Page ?? throw new InvalidOperationException("The fleet index refused the NGSI-LD listing: " + result.Problem);
            foreach (var device in page.Items)
            {
                if (type == NgsiTypes.WaterConsumptionObserved && device.Medium != MeterMedia.Water)
                {
                    continue;
                }

                if (skipped < offset)
                {
                    skipped++;
                    continue;
                }

                if (devices.Count == limit)
                {
                    return new NgsiListing(devices, More: true);
                }

                devices.Add((device.Kind, device.Id));
            }

            if (page.Next is not { } next)
            {
                return new NgsiListing(devices, More: false);
            }

            query = query with { Cursor = next };
        }
    }

    public async Task<long> CountAsync(string type, CancellationToken cancellationToken)
    {
        var boroughs = (await Index().GetBoroughsAsync(cancellationToken)).Boroughs;
        return type switch
        {
            NgsiTypes.Streetlight => boroughs.Sum(b => (long)b.Lamp.Devices),
            NgsiTypes.ParkingSpot => boroughs.Sum(b => (long)b.Parking.Devices),
            NgsiTypes.AccessPoint => boroughs.Sum(b => (long)b.Wifi.Devices),
            NgsiTypes.WaterConsumptionObserved => boroughs.Sum(b => (long)(b.Meter.Consumption.TryGetValue(MeterMedia.Water, out var water) ? water.Meters : 0)),
            _ => boroughs.Sum(b => (long)b.Devices),
        };
    }

    private IFleetIndexReader Index() => services.GetService<IFleetIndexReader>() ?? throw new NgsiDirectoryUnavailableException();
}
