using System.Globalization;
using System.Text.Json;

namespace Fleet.Cluster.Tests;

/// <summary>
/// The failover test doubles as benchmark P5 (bench/run.sh): when FLEET_BENCH_FAILOVER_OUT names a
/// file, the figures it measured are written there in fleet-bench's result format.
/// </summary>
internal static class BenchFigures
{
    public const string Variable = "FLEET_BENCH_FAILOVER_OUT";

    public static async Task SaveFailoverAsync(int devices, TimeSpan reconnected, TimeSpan answering)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path)
        {
            return;
        }

        var result = new
        {
            id = "p5",
            command = $"{Variable}=p5.json FLEET_CLUSTER_DEVICES={devices.ToString(CultureInfo.InvariantCulture)} dotnet test test/Fleet.Cluster.Tests -c Release --filter FullyQualifiedName~FailoverTests",
            figures = new Dictionary<string, double>
            {
                ["devices"] = devices,
                ["reconnectedSeconds"] = Math.Round(reconnected.TotalSeconds, 2),
                ["answeringSeconds"] = Math.Round(answering.TotalSeconds, 2),
            },
            notes = Array.Empty<string>(),
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result));
    }
}
