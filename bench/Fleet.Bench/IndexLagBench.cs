using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Fleet.Bench;

/// <summary>
/// Issue 5's index lag: polls GET /api/devices/index of a running silo (the demo start-up burst:
/// provisioning plus every live device connecting and reporting) and keeps the writer's max lag —
/// the time from a twin change to the index transaction that holds it.
/// </summary>
internal static class IndexLagBench
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var url = args.Required("url").TrimEnd('/');
        var duration = args.Duration("duration", TimeSpan.FromSeconds(90));
        var result = new BenchResult("lag");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", args.Required("key"));
        var until = DateTime.UtcNow + duration;
        double maxLag = 0, maxPending = 0, written = 0, batches = 0;
        while (DateTime.UtcNow < until)
        {
            try
            {
                var status = await http.GetFromJsonAsync<JsonObject>(url + "/api/devices/index", cancellationToken);
                var writer = status!["writer"]!;
                maxLag = Math.Max(maxLag, writer["maxLagMs"]!.GetValue<double>());
                maxPending = Math.Max(maxPending, writer["pending"]!.GetValue<double>());
                written = writer["written"]!.GetValue<double>();
                batches = writer["batches"]!.GetValue<double>();
                Console.WriteLine($"index: {written:N0} written in {batches:N0} batches, {writer["pending"]} pending, last lag {writer["lastLagMs"]!.GetValue<double>():N0} ms, max {maxLag:N0} ms");
            }
            catch (HttpRequestException)
            {
                // Still starting.
            }

            await Task.Delay(2000, cancellationToken);
        }

        result["maxLagMs"] = maxLag;
        result["maxPending"] = maxPending;
        result["written"] = written;
        result["batches"] = batches;
        await result.SaveAsync(args, cancellationToken);
        return 0;
    }
}
