using Fleet.Devices;
using Fleet.Grains.Index;
using Fleet.Jobs;
using Fleet.Queries;

namespace Fleet.Grains.Jobs;

/// <summary>Turns a job's target selector into device ids: from the fleet index, or by asking the named twins.</summary>
internal static class JobTargets
{
    private const int Parallel = 32;

    public static async Task<IReadOnlyList<string>> ResolveAsync(JobTarget target, IGrainFactory grains, IFleetIndexReader? index)
    {
        return target.Ids.IsDefaultOrEmpty
            ? await FromIndexAsync(target, index ?? throw new InvalidOperationException("The fleet index is not available on this silo; name the target ids instead."))
            : await FromTwinsAsync(target, grains);
    }

    private static async Task<IReadOnlyList<string>> FromIndexAsync(JobTarget target, IFleetIndexReader index)
    {
        var ids = new List<string>();
        IReadOnlyList<string> boroughs = target.Boroughs.IsDefaultOrEmpty ? Boroughs.All : target.Boroughs;
        foreach (var borough in boroughs.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            string? cursor = null;
            do
            {
                var query = new DeviceQuery
                {
                    Kind = target.Kind,
                    Borough = borough,
                    Fault = target.Fault,
                    Online = target.Online,
                    Sort = DeviceSort.Id,
                    Limit = DeviceQuery.MaxLimit,
                    Cursor = cursor,
                };
                if (query.Validate(out var normalized) is { } problem)
                {
                    throw new ArgumentException(problem.Error);
                }

                var result = await index.QueryDevicesAsync(normalized, CancellationToken.None);
                var page = result.Page ?? throw new ArgumentException(result.Problem?.Error ?? "The fleet index refused the query.");
                ids.AddRange(page.Items.Select(device => device.Id));
                cursor = page.Next;
            }
            while (cursor is not null);
        }

        return ids;
    }

    private static async Task<IReadOnlyList<string>> FromTwinsAsync(JobTarget target, IGrainFactory grains)
    {
        var ids = new List<string>();
        var boroughs = target.Boroughs.IsDefaultOrEmpty ? null : target.Boroughs.Select(b => Boroughs.TryNormalize(b, out var n) ? n : b).ToHashSet(StringComparer.Ordinal);
        foreach (var batch in target.Ids.Distinct(StringComparer.Ordinal).Chunk(Parallel))
        {
            var twins = await Task.WhenAll(batch.Select(id => grains.GetTwin(target.Kind, id).GetTwin().AsTask()));
            ids.AddRange(twins
                .Where(twin => twin is not null
                    && (boroughs is null || boroughs.Contains(twin.Metadata.Borough))
                    && (target.Online is not { } online || twin.Connectivity.Online == online)
                    && (target.Fault is not { } fault || twin.Faults.Any(f => f.Code == fault)))
                .Select(twin => twin!.Id));
        }

        return ids;
    }
}
