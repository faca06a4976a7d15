using System.Net.Http.Json;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>
/// The protocol with an independent, third-party client: the mosquitto command-line tools
/// (Debian package mosquitto-clients, installed by the test script). Missing tools fail the test.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class MosquittoClientTests(MqttHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task MosquittoPubUpdatesTheTwin(string protocol)
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);

        var (exit, output) = await RunAsync(Tool("mosquitto_pub"), [.. Connection(id, secret, protocol), "-t", $"fleet/lamp/{id}/telemetry", "-q", "1", "-m", """{"seq": 7, "ts": "2026-01-25T17:00:00Z", "on": true, "level": 70, "powerW": 41.5}"""]);

        Assert.True(exit == 0, $"mosquitto_pub failed ({exit}): {output}");
        await Devices.WaitForTwinAsync(Http, "lamp", id, twin => twin["reported"]!["level"]?.GetValue<double>() == 70, "the twin to show level 70", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task MosquittoPubWithAWrongSecretIsRefused()
    {
        var (id, _) = await Devices.ProvisionAsync(Http);

        var (exit, output) = await RunAsync(Tool("mosquitto_pub"), [.. Connection(id, "wrong", "mqttv311"), "-t", $"fleet/lamp/{id}/telemetry", "-q", "1", "-m", """{"seq": 1}"""]);

        Assert.NotEqual(0, exit);
        Assert.Contains("bad user name or password", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task MosquittoSubReceivesTheDesiredDocumentAfterAPatch()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var subscriber = Start(Tool("mosquitto_sub"), [.. Connection(id, secret, "mqttv311"), "-t", $"fleet/lamp/{id}/desired", "-q", "1", "-C", "1", "-W", "30"]);
        try
        {
            await Devices.WaitForTwinAsync(Http, "lamp", id, twin => twin["connectivity"]!["online"]!.GetValue<bool>(), "mosquitto_sub to connect");

            var patched = await Devices.PatchDesiredAsync(Http, "lamp", id, """{"on": true, "level": 40}""");

            var output = await subscriber.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await subscriber.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(subscriber.ExitCode == 0, $"mosquitto_sub failed ({subscriber.ExitCode}): {output} {await subscriber.StandardError.ReadToEndAsync()}");
            var document = JsonNode.Parse(output)!;
            Assert.Equal(40, document["desired"]!["level"]!.GetValue<double>());
            Assert.Equal(patched["version"]!.GetValue<long>(), document["version"]!.GetValue<long>());
        }
        finally
        {
            if (!subscriber.HasExited)
            {
                subscriber.Kill();
            }

            subscriber.Dispose();
        }
    }

    [Fact]
    public async Task MosquittoSubReceivesADimCommandAndMosquittoPubsResultAnswersTheWaitingPost()
    {
        var (id, secret) = await Devices.ProvisionAsync(Http);
        var subscriber = Start(Tool("mosquitto_sub"), [.. Connection(id, secret, "mqttv5"), "-t", $"fleet/lamp/{id}/commands/+", "-q", "1", "-v", "-C", "1", "-W", "30"]);
        try
        {
            await Devices.WaitForTwinAsync(Http, "lamp", id, twin => twin["connectivity"]!["online"]!.GetValue<bool>(), "mosquitto_sub to connect");

            var post = Http.PostAsJsonAsync($"/api/devices/lamp/{id}/commands?wait=15s", new { name = "dim", args = new { level = 40 } });

            var line = (await subscriber.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!;
            await subscriber.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var topic = line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var command = JsonNode.Parse(line[(topic.Length + 1)..])!;
            Assert.StartsWith($"fleet/lamp/{id}/commands/", topic, StringComparison.Ordinal);
            Assert.Equal("dim", command["name"]!.GetValue<string>());
            Assert.Equal(40, command["args"]!["level"]!.GetValue<double>());
            var commandId = topic[(topic.LastIndexOf('/') + 1)..];

            var (exit, output) = await RunAsync(Tool("mosquitto_pub"), [.. Connection(id, secret, "mqttv5"), "-t", topic + "/result", "-q", "1", "-m", """{"status": "succeeded", "detail": "dimmed to 40 %"}"""]);
            Assert.True(exit == 0, $"mosquitto_pub failed ({exit}): {output}");

            using var response = await post;
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, body.ToJsonString());
            Assert.Equal(commandId, body["id"]!.GetValue<string>());
            Assert.Equal("succeeded", body["state"]!.GetValue<string>());
            Assert.Equal("dimmed to 40 %", body["result"]!["detail"]!.GetValue<string>());
        }
        finally
        {
            if (!subscriber.HasExited)
            {
                subscriber.Kill();
            }

            subscriber.Dispose();
        }
    }

    private string[] Connection(string id, string secret, string protocol) =>
        ["-h", "127.0.0.1", "-p", fixture.MqttPort.ToString(CultureInfo.InvariantCulture), "-V", protocol, "-u", $"lamp/{id}", "-P", secret];

    private static string Tool(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"{name} is not installed. These tests drive the mosquitto command-line clients as an independent MQTT client: apt-get install -y mosquitto-clients (the test script does this).");
        return name;
    }

    private static Process Start(string tool, string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start");
    }

    private static async Task<(int Exit, string Output)> RunAsync(string tool, string[] arguments)
    {
        using var process = Start(tool, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await output + await error);
    }
}
