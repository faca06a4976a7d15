using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Fleet.Silo.Storage;

/// <summary>
/// Lets one write at a time reach a SQLite file. SQLite admits one writer anyway; without the lane
/// the others spin in Microsoft.Data.Sqlite's busy retry (Thread.Sleep, up to Default Timeout),
/// which blocks threads and starves some grains for seconds. Waiting here is async and fair.
/// </summary>
/// <remarks>
/// One lane per file for the whole process, not per silo: test clusters run several silos in one
/// process, and they share the file just as much.
/// </remarks>
[SuppressMessage("Design", "CA1001", Justification = "Lanes live as long as the process; a SemaphoreSlim whose wait handle is never asked for holds nothing to release.")]
internal sealed class WriteLane
{
    private static readonly ConcurrentDictionary<string, WriteLane> Lanes = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _gate = new(1, 1);

    private WriteLane()
    {
    }

    /// <summary>The lane of the database file at <paramref name="fullPath"/>.</summary>
    public static WriteLane For(string fullPath) => Lanes.GetOrAdd(fullPath, _ => new WriteLane());

    public async Task RunAsync(Func<Task> write, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await write();
        }
        finally
        {
            _gate.Release();
        }
    }
}
