using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Silo.Tests.Commands;

/// <summary>Sending and reading commands through the HTTP API.</summary>
internal static class CommandsKit
{
    public static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(HttpClient http, string kind, string id, string json, string? wait = null)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"/api/devices/{kind}/{id}/commands" + (wait is null ? string.Empty : "?wait=" + wait), content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>Posts a command that must be accepted (202) and returns it.</summary>
    public static async Task<JsonNode> SendAsync(HttpClient http, string kind, string id, string json)
    {
        var (status, body) = await PostAsync(http, kind, id, json);
        Assert.True(status == HttpStatusCode.Accepted, $"expected 202, got {status}: {body.ToJsonString()}");
        return body;
    }

    public static async Task<JsonNode> GetAsync(HttpClient http, string kind, string id, string commandId)
    {
        using var response = await http.GetAsync($"/api/devices/{kind}/{id}/commands/{commandId}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    public static async Task<JsonArray> ListAsync(HttpClient http, string kind, string id)
    {
        var body = await http.GetFromJsonAsync<JsonNode>($"/api/devices/{kind}/{id}/commands");
        return body!["items"]!.AsArray();
    }

    /// <summary>Polls the command until it is in <paramref name="state"/>, with a deadline.</summary>
    public static async Task<JsonNode> WaitForStateAsync(HttpClient http, string kind, string id, string commandId, string state, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var command = await GetAsync(http, kind, id, commandId);
            if (command["state"]!.GetValue<string>() == state)
            {
                return command;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"command {commandId} did not become {state}: {command.ToJsonString()}");
            }

            await Task.Delay(50);
        }
    }

    public static string State(this JsonNode command) => command["state"]!.GetValue<string>();

    public static string Id(this JsonNode command) => command["id"]!.GetValue<string>();

    public static IReadOnlyList<string> States(this JsonNode command) =>
        [.. command["transitions"]!.AsArray().Select(transition => transition!["state"]!.GetValue<string>())];
}
