using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Jobs;

/// <summary>Starting and watching bulk jobs through the HTTP API.</summary>
internal static class JobsKit
{
    public static async Task<JsonNode> StartAsync(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync("/api/jobs", body);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {response.StatusCode}: {json.ToJsonString()}");
        Assert.Equal($"/api/jobs/{json["id"]!.GetValue<string>()}", response.Headers.Location?.ToString());
        return json;
    }

    /// <summary>Provisions <paramref name="count"/> lamps (offline: nobody connects as them); their ids.</summary>
    public static async Task<List<string>> ProvisionLampsAsync(HttpClient http, int count)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add((await Api.ApiTestKit.ProvisionLampAsync(http)).Id);
        }

        return ids;
    }

    public static async Task<JsonNode> GetAsync(HttpClient http, string id) =>
        (await http.GetFromJsonAsync<JsonNode>($"/api/jobs/{id}"))!;

    /// <summary>Polls the job until it is no longer running; returns it.</summary>
    public static async Task<JsonNode> WaitForEndAsync(HttpClient http, string id, TimeSpan timeout)
    {
        JsonNode job = null!;
        await Poll.UntilAsync(async () => (job = await GetAsync(http, id))["state"]!.GetValue<string>() != "running", $"job {id} to end", timeout);
        return job;
    }

    public static int Count(this JsonNode job, string name) => job["progress"]![name]!.GetValue<int>();

    /// <summary>Every target is counted exactly once.</summary>
    public static void AssertCountsAddUp(JsonNode job)
    {
        string[] parts = ["pending", "queued", "sent", "succeeded", "failed", "rejected", "expired", "cancelled"];
        Assert.Equal(job.Count("targeted"), parts.Sum(job.Count));
    }
}
