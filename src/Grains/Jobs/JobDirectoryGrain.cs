using System.Collections.Immutable;
using Fleet.Jobs;

namespace Fleet.Grains.Jobs;

[GenerateSerializer, Alias("Fleet.JobDirectoryState")]
public sealed class JobDirectoryState
{
    /// <summary>Job ids, oldest first; bounded by <see cref="JobDirectoryGrain.Keep"/> finished jobs.</summary>
    [Id(0)] public List<string> Jobs { get; set; } = [];
    [Id(1)] public HashSet<string> Running { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The list of jobs (key 0). It hears of a job only when it starts and ends, and is asked only for
/// lists and at silo start — never on a per-device path.
/// </summary>
public sealed class JobDirectoryGrain(
    [PersistentState("directory", JobStorage.Name)] IPersistentState<JobDirectoryState> state) : Grain, IJobDirectoryGrain
{
    /// <summary>How many jobs the list keeps (running ones are always kept).</summary>
    public const int Keep = 200;

    private JobDirectoryState State => state.State;

    public async Task Add(string jobId)
    {
        if (State.Jobs.Contains(jobId))
        {
            return;
        }

        State.Jobs.Add(jobId);
        State.Running.Add(jobId);
        while (State.Jobs.Count > Keep && State.Jobs.FirstOrDefault(id => !State.Running.Contains(id)) is { } oldest)
        {
            State.Jobs.Remove(oldest);
        }

        await state.WriteStateAsync();
    }

    public async Task Finished(string jobId)
    {
        if (State.Running.Remove(jobId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<ImmutableArray<string>> List(int limit) =>
        Task.FromResult(State.Jobs.AsEnumerable().Reverse().Take(Math.Clamp(limit, 1, Keep)).ToImmutableArray());

    public async Task WakeRunning()
    {
        foreach (var batch in State.Running.ToList().Chunk(16))
        {
            await Task.WhenAll(batch.Select(id => GrainFactory.GetGrain<IJobGrain>(id).Wake()));
        }
    }
}
