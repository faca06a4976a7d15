using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Silo.Tests.Api;

internal static class ApiTestKit
{
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    public static object LampBody(string id) => new
    {
        kind = "lamp",
        id,
        metadata = new { borough = "Mitte", lat = 51.4344, lon = 6.7623, ratedWatts = 60, model = "Philips Luma 1", installed = "2023-04-01" },
    };

    public static async Task<(string Id, string Secret)> ProvisionLampAsync(HttpClient http)
    {
        var id = NewId("DU-L");
        using var response = await http.PostAsJsonAsync("/api/devices", LampBody(id));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = await ReadJsonAsync(response);
        return (id, body["secret"]!.GetValue<string>());
    }

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    /// <summary>Asserts an RFC 7807 body with the given status whose detail mentions the text.</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, int status, string? detailContains = null)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadJsonAsync(response);
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    public static HttpRequestMessage MergePatch(string url, string json, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, url)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/merge-patch+json"),
        };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return request;
    }
}
