using System.Collections.Immutable;
using Fleet.Schedules;

namespace Fleet.Grains.Schedules;

/// <summary>The ids of every schedule, touched only when a schedule is created or deleted and when the silo wakes them.</summary>
public sealed class ScheduleDirectoryGrain(
    [PersistentState("directory", ScheduleGrain.StorageName)] IPersistentState<ScheduleDirectoryState> state) : Grain, IScheduleDirectoryGrain
{
    public async Task<bool> Add(string scheduleId)
    {
        var index = state.State.Ids.BinarySearch(scheduleId, StringComparer.Ordinal);
        if (index >= 0)
        {
            return true;
        }

        if (state.State.Ids.Count >= IScheduleDirectoryGrain.MaxSchedules)
        {
            return false;
        }

        state.State.Ids.Insert(~index, scheduleId);
        await state.WriteStateAsync();
        return true;
    }

    public async Task Remove(string scheduleId)
    {
        var index = state.State.Ids.BinarySearch(scheduleId, StringComparer.Ordinal);
        if (index >= 0)
        {
            state.State.Ids.RemoveAt(index);
            await state.WriteStateAsync();
        }
    }

    public Task<ImmutableArray<string>> List() => Task.FromResult<ImmutableArray<string>>([.. state.State.Ids]);
}
