using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Simulator.Protocol;

namespace Fleet.Cluster.Tests;

/// <summary>The few HTTP API calls the cluster tests make, as an operator's system would make them.</summary>
public static class FleetApi
{
    public const double RatedWatts = 60;

    /// <summary>Registers lamps and meters through one CSV import and returns their credentials.</summary>
    public static async Task<IReadOnlyList<DeviceCredentials>> ProvisionAsync(HttpClient http, string prefix, int lamps, int meters)
    {
        var csv = new StringBuilder("kind,id,borough,lat,lon,ratedWatts,medium\n");
        for (var i = 1; i <= lamps; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"lamp,{prefix}-L-{i:D5},Mitte,51.4344,6.7623,{RatedWatts},\n");
        }

        for (var i = 1; i <= meters; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"meter,{prefix}-M-{i:D5},Hamborn,51.49,6.77,,water\n");
        }

        using var content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
        using var response = await http.PostAsync(new Uri("/api/devices/import", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(lamps + meters, report["created"]!.GetValue<int>());
        return report["rows"]!.AsArray()
            .Select(row => new DeviceCredentials(row!["kind"]!.GetValue<string>(), row["id"]!.GetValue<string>(), row["secret"]!.GetValue<string>())
            {
                RatedWatts = row["kind"]!.GetValue<string>() == "lamp" ? RatedWatts : null,
                Medium = row["kind"]!.GetValue<string>() == "meter" ? "water" : null,
                Borough = "Mitte",
            })
            .ToList();
    }

    /// <summary>The twin, or null when the silo did not answer 200 (down, busy, or the twin unreachable).</summary>
    public static async Task<JsonObject?> TryGetTwinAsync(HttpClient http, string kind, string id)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"/api/devices/{kind}/{id}", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>PATCH …/desired; true only on 200, the answer that means Fleet accepted (and stored) the change.</summary>
    public static async Task<bool> TrySetDesiredAsync(HttpClient http, string kind, string id, string field, JsonNode value)
    {
        try
        {
            using var content = new StringContent(new JsonObject { [field] = value }.ToJsonString(), Encoding.UTF8, "application/merge-patch+json");
            using var response = await http.PatchAsync(new Uri($"/api/devices/{kind}/{id}/desired", UriKind.Relative), content);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The device's alarms of one type (any state), or null when the silo did not answer.</summary>
    public static async Task<int?> CountAlarmsAsync(HttpClient http, string deviceId, string type)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"/api/alarms?deviceId={deviceId}", UriKind.Relative));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            var page = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            return page["alarms"]!.AsArray().Count(alarm => alarm!["type"]?.GetValue<string>() == type);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public static bool IsOnline(JsonObject twin) => twin["connectivity"]?["online"]?.GetValue<bool>() == true;

    /// <summary>
    /// POST …/commands with the caller's command id (so a retry is safe); the command as Fleet
    /// answered it (202 accepted, or 200 closed within <paramref name="wait"/>), or null when there
    /// was no such answer.
    /// </summary>
    public static async Task<JsonObject?> TrySendCommandAsync(HttpClient http, string kind, string id, string commandId, string name, JsonObject args, string? wait = null)
    {
        try
        {
            var body = new JsonObject { ["id"] = commandId, ["name"] = name, ["args"] = args };
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            var query = wait is null ? string.Empty : "?wait=" + wait;
            using var response = await http.PostAsync(new Uri($"/api/devices/{kind}/{id}/commands{query}", UriKind.Relative), content);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The command (waiting up to <paramref name="wait"/> for it to close); NotFound when Fleet does not know it; null without an answer.</summary>
    public static async Task<(HttpStatusCode Status, JsonObject? Command)?> TryGetCommandAsync(HttpClient http, string kind, string id, string commandId, string wait)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"/api/devices/{kind}/{id}/commands/{commandId}?wait={wait}", UriKind.Relative));
            return response.StatusCode switch
            {
                HttpStatusCode.OK => (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonObject>()),
                HttpStatusCode.NotFound => (response.StatusCode, null),
                _ => null,
            };
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public static string? StateOf(JsonObject? command) => command?["state"]?.GetValue<string>();

    public static bool IsFinal(JsonObject? command) => StateOf(command) is { } state && state is not ("queued" or "sent");
}
