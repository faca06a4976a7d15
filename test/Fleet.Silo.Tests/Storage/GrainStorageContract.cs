using Orleans.Storage;

namespace Fleet.Silo.Tests.Storage;

/// <summary>
/// What Fleet's grain storage promises on either engine, checked straight through IGrainStorage
/// (the way Orleans calls it) so that a test can stage what two activations would do.
/// </summary>
internal static class GrainStorageContract
{
    /// <summary>Every write moves the version by one; a write or clear from a stale or missing ETag fails.</summary>
    public static async Task VersionsEveryWriteAndRefusesStaleOnesAsync(IGrainStorage storage)
    {
        var grainId = GrainId.Create("lamp", "contract-" + Guid.NewGuid().ToString("N"));

        var first = new GrainState<ProbeState>(new ProbeState { Value = "a" });
        await storage.WriteStateAsync("twin", grainId, first);
        Assert.Equal("1", first.ETag);

        // A second activation that never read the row must not overwrite it.
        var blind = new GrainState<ProbeState>(new ProbeState { Value = "b" });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("twin", grainId, blind));

        await storage.WriteStateAsync("twin", grainId, first);
        Assert.Equal("2", first.ETag);

        var stale = new GrainState<ProbeState>(new ProbeState { Value = "c" }) { ETag = "1", RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("twin", grainId, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("twin", grainId, stale));

        var read = new GrainState<ProbeState>();
        await storage.ReadStateAsync("twin", grainId, read);
        Assert.Equal(("a", "2", true), (read.State!.Value, read.ETag, read.RecordExists));

        // Clearing keeps the version moving, so the stale activation stays stale.
        await storage.ClearStateAsync("twin", grainId, read);
        Assert.Equal(("3", false), (read.ETag, read.RecordExists));
        await storage.ReadStateAsync("twin", grainId, read);
        Assert.Equal(("", "3", false), (read.State!.Value, read.ETag, read.RecordExists));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("twin", grainId, first));
    }

    /// <summary>A lamp "42" and a meter "42", both with state "twin", are two rows.</summary>
    public static async Task KeepsGrainTypesApartAsync(IGrainStorage storage)
    {
        var key = Guid.NewGuid().ToString("N");
        var lamp = GrainId.Create("lamp", key);
        var meter = GrainId.Create("meter", key);

        await storage.WriteStateAsync("twin", lamp, new GrainState<ProbeState>(new ProbeState { Value = "lamp" }));
        await storage.WriteStateAsync("twin", meter, new GrainState<ProbeState>(new ProbeState { Value = "meter" }));

        var read = new GrainState<ProbeState>();
        await storage.ReadStateAsync("twin", lamp, read);
        Assert.Equal("lamp", read.State!.Value);
        await storage.ReadStateAsync("twin", meter, read);
        Assert.Equal("meter", read.State!.Value);
    }

    /// <summary>With DeleteStateOnClear the row goes, and the next write starts again at version 1.</summary>
    public static async Task DeletesOnClearAsync(IGrainStorage storage, Func<Task<int>> countRows)
    {
        var grainId = GrainId.Create("bay", "contract-" + Guid.NewGuid().ToString("N"));

        var state = new GrainState<ProbeState>(new ProbeState { Value = "a" });
        await storage.WriteStateAsync("subs", grainId, state);
        await storage.WriteStateAsync("subs", grainId, state);
        var stale = new GrainState<ProbeState>(new ProbeState()) { ETag = "1", RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("subs", grainId, stale));

        var before = await countRows();
        await storage.ClearStateAsync("subs", grainId, state);
        Assert.Equal((null, false), (state.ETag, state.RecordExists));
        Assert.Equal(before - 1, await countRows());

        await storage.WriteStateAsync("subs", grainId, state);
        Assert.Equal("1", state.ETag);
    }
}
