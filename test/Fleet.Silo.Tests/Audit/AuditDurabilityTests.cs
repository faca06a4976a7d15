using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Audit;

public sealed class AuditDurabilityTests
{
    [Fact]
    public async Task QueuedEntriesAreWrittenAtShutdownAndSurviveARestartOnSqlite()
    {
        // A flush interval longer than the test: only the shutdown can have written the entries.
        await using var host = new FleetHost(new Dictionary<string, string> { ["Fleet:Audit:FlushInterval"] = "00:01:00" });
        await host.StartAsync();
        var (lamp, _) = await ProvisionLampAsync(host.Http);
        using (var patched = await host.Http.SendAsync(MergePatch($"/api/devices/lamp/{lamp}/desired", """{"level": 35}""")))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        await host.RestartAsync();

        using var response = await host.Http.GetAsync($"/api/audit?deviceId={lamp}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = (await ReadJsonAsync(response))["entries"]!.AsArray();
        Assert.Equal(["device.desired", "device.provision"], entries.Select(entry => entry!["action"]!.GetValue<string>()));
        Assert.Equal("bootstrap", entries[0]!["actor"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"level":35}""", entries[0]!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task KeysSurviveARestart()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var key = await host.CreateKeyAsync("integration", "survivor");

        await host.RestartAsync();

        using var read = await host.CreateClient(key).GetAsync("/api/devices/lamp/DU-L-NONE");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        var keys = JsonNode.Parse(await host.Http.GetStringAsync("/api/keys"))!.AsArray();
        Assert.Contains(keys, entry => entry!["name"]!.GetValue<string>() == "survivor");
        using var created = await host.Http.PostAsJsonAsync("/api/keys", new { name = "after-restart", role = "operator" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }
}
