using Fleet.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Storage;

namespace Fleet.Bench;

/// <summary>A silo in the benchmark's own process, so figures can be read from inside (heap, call latency).</summary>
internal static class InProcessSilo
{
    public static async Task<IHost> StartAsync(int siloPort, Action<ISiloBuilder> configure, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.AddFleetGrains();
            // Twins stay resident for the whole run: nothing is collected as idle meanwhile.
            silo.Configure<GrainCollectionOptions>(options => options.CollectionAge = TimeSpan.FromHours(2));
            configure(silo);
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>Calls <paramref name="call"/> for 0…count−1 with at most <paramref name="parallelism"/> in flight.</summary>
    public static Task ForEachAsync(int from, int to, int parallelism, Func<int, Task> call, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            Enumerable.Range(from, to - from),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (n, _) => await call(n));
}

/// <summary>
/// Grain storage that keeps nothing: reads find no state, writes succeed. P3 measures what a twin
/// costs while it is resident, not what a storage provider keeps about it.
/// </summary>
internal sealed class DiscardingGrainStorage : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.CompletedTask;

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.ETag = "1";
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
