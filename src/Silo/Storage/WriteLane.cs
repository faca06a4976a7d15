using System.Collections.Concurrent;

namespace Fleet.Silo.Storage;

/// <summary>Which queue of the <see cref="WriteLane"/> a write waits in.</summary>
internal enum WritePriority
{
    /// <summary>Grain state: many writers, each waits its turn in arrival order.</summary>
    Normal,

    /// <summary>
    /// Read-model batches (the fleet index): one writer with a latency promise. It goes ahead of
    /// every waiting normal write, so it waits for at most the write in progress, not for a queue
    /// of thousands of grain writes in a start-up burst.
    /// </summary>
    First,
}

/// <summary>
/// Lets one write at a time reach a SQLite file. SQLite admits one writer anyway; without the lane
/// the others spin in Microsoft.Data.Sqlite's busy retry (Thread.Sleep, up to Default Timeout),
/// which blocks threads and starves some grains for seconds. Waiting here is async and fair
/// within a priority; <see cref="WritePriority.First"/> writes are let in before normal ones.
/// </summary>
/// <remarks>
/// One lane per file for the whole process, not per silo: test clusters run several silos in one
/// process, and they share the file just as much. Priority writers must be few and bounded (the
/// index writer has at most one batch in flight), or they would starve grain state.
/// </remarks>
internal sealed class WriteLane
{
    private static readonly ConcurrentDictionary<string, WriteLane> Lanes = new(StringComparer.Ordinal);

    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _first = new();
    private readonly Queue<TaskCompletionSource> _normal = new();
    private bool _busy;

    internal WriteLane()
    {
    }

    /// <summary>The lane of the database file at <paramref name="fullPath"/>.</summary>
    public static WriteLane For(string fullPath) => Lanes.GetOrAdd(fullPath, _ => new WriteLane());

    /// <summary>Writes waiting for their turn (not counting the one in progress).</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _first.Count + _normal.Count;
            }
        }
    }

    public Task RunAsync(Func<Task> write, CancellationToken cancellationToken) =>
        RunAsync(write, WritePriority.Normal, cancellationToken);

    public async Task RunAsync(Func<Task> write, WritePriority priority, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await EnterAsync(priority, cancellationToken);
        try
        {
            await write();
        }
        finally
        {
            Exit();
        }
    }

    private async Task EnterAsync(WritePriority priority, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource turn;
        lock (_gate)
        {
            if (!_busy)
            {
                _busy = true;
                return;
            }

            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (priority == WritePriority.First ? _first : _normal).Enqueue(turn);
        }

        // A cancelled waiter stays queued; Exit skips it because its turn can no longer be granted.
        using var registration = cancellationToken.Register(() => turn.TrySetCanceled(cancellationToken));
        await turn.Task;
    }

    private void Exit()
    {
        lock (_gate)
        {
            while (_first.TryDequeue(out var next) || _normal.TryDequeue(out next))
            {
                if (next.TrySetResult())
                {
                    return; // the lane passes straight to the next writer: _busy stays true
                }
            }

            _busy = false;
        }
    }
}
