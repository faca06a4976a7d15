using System.Net.Http.Json;
using System.Net;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Api;

public sealed class DurabilityTests
{
    [Fact]
    public async Task TwinAndDesiredSurviveASiloRestartOnTheSqliteStore()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var (id, _) = await ProvisionLampAsync(host.Http);
        using (var patched = await host.Http.SendAsync(MergePatch($"/api/devices/lamp/{id}/desired", """{"level": 35}""")))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        using var before = await host.Http.GetAsync($"/api/devices/lamp/{id}");
        var etag = before.Headers.ETag!.ToString();

        await host.RestartAsync();

        Assert.True(File.Exists(Path.Combine(host.DataDirectory, "fleet.db")));
        using var after = await host.Http.GetAsync($"/api/devices/lamp/{id}");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(etag, after.Headers.ETag!.ToString());
        Assert.Equal(35, (await ReadJsonAsync(after))["desired"]!["level"]!.GetValue<double>());
        using var duplicate = await host.Http.PostAsJsonAsync("/api/devices", LampBody(id));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }

    [Fact]
    public async Task DemoFleetIsProvisionedOnFirstStartAndItsCredentialsWritten()
    {
        await using var host = new FleetHost(new Dictionary<string, string>
        {
            ["Fleet:Demo:Enabled"] = "true",
            ["Fleet:Demo:Lamps"] = "20",
            ["Fleet:Demo:ParkingBays"] = "5",
            ["Fleet:Demo:AccessPoints"] = "3",
            ["Fleet:Demo:Meters"] = "10",
        });
        await host.StartAsync();
        var file = Path.Combine(host.DataDirectory, "demo-devices.csv");

        await Poll.UntilAsync(() => Task.FromResult(File.Exists(file)), "the demo credentials file");

        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal("kind,id,secret,borough,ratedWatts,medium", lines[0]);
        Assert.DoesNotContain(lines, line => line.StartsWith("lamp,", StringComparison.Ordinal) && line.EndsWith(",,", StringComparison.Ordinal));
        Assert.Equal(38, lines.Length - 1);
        Assert.Contains(lines, line => line.StartsWith("meter,DU-M-000010,", StringComparison.Ordinal));
        using var lamp = await host.Http.GetAsync("/api/devices/lamp/DU-L-000001");
        Assert.Equal(HttpStatusCode.OK, lamp.StatusCode);
    }

    [Fact]
    public async Task ABadSettingStopsTheStartNamingIt()
    {
        await using var host = new FleetHost(new Dictionary<string, string> { ["Fleet:Orleans:SiloPort"] = "70000" });

        var failure = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);

        Assert.Contains("Fleet:Orleans:SiloPort", failure.Message, StringComparison.Ordinal);
    }
}
