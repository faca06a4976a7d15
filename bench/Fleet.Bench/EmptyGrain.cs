namespace Fleet.Bench;

/// <summary>A grain that holds nothing: what one activation costs Orleans itself (P3's attribution).</summary>
[Alias("Fleet.Bench.IEmptyGrain")]
public interface IEmptyGrain : IGrainWithStringKey
{
    [Alias("Touch")]
    Task Touch();
}

public sealed class EmptyGrain : Grain, IEmptyGrain
{
    public Task Touch() => Task.CompletedTask;
}
