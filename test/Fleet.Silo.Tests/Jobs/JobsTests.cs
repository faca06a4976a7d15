using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Fleet.Devices;
using Fleet.Silo.Demo;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Jobs.JobsKit;

namespace Fleet.Silo.Tests.Jobs;

/// <summary>Bulk jobs on a real host: the demo fleet with its live devices, and hand-provisioned lamps.</summary>
public sealed class JobsTests
{
    private static readonly string[] OneBorough = [Boroughs.Rheinhausen];

    [Fact]
    public async Task AJobOverEveryLampOfABoroughInTheDemoFleetEndsWithCountsThatAddUpToTheTargets()
    {
        const int lamps = 300;
        await using var host = DemoHost(lamps);
        await host.StartAsync();
        var expected = DemoFleet.Generate(lamps, 0, 0, 0).Count(request => request.Metadata!.Borough == Boroughs.Rheinhausen);
        await Poll.UntilAsync(async () => await IndexedLampsAsync(host.Http, Boroughs.Rheinhausen) == expected, "the demo lamps of Rheinhausen to be indexed", TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(async () => await OnlineLampsAsync(host.Http, Boroughs.Rheinhausen) > 0, "the live demo lamps to connect", TimeSpan.FromSeconds(60));

        var job = await StartAsync(host.Http, new
        {
            name = "Rheinhausen to 60 %",
            target = new { kind = "lamp", boroughs = OneBorough },
            command = new { name = "dim", args = new { level = 60 }, ttlSeconds = 5 },
            ratePerSecond = 200,
        });
        var id = job["id"]!.GetValue<string>();
        Assert.Equal(expected, job.Count("targeted"));
        AssertCountsAddUp(job);

        var done = await WaitForEndAsync(host.Http, id, TimeSpan.FromSeconds(60));

        Assert.Equal("completed", done["state"]!.GetValue<string>());
        Assert.Equal(expected, done.Count("targeted"));
        AssertCountsAddUp(done);
        Assert.Equal(0, done.Count("pending") + done.Count("queued") + done.Count("sent"));
        Assert.True(done.Count("succeeded") > 0, done.ToJsonString());
        var list = (await host.Http.GetFromJsonAsync<JsonNode>("/api/jobs"))!["items"]!.AsArray();
        Assert.Contains(list, item => item!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task AJobResumesAfterARestartAndStartsNoTargetTwice()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var ids = await ProvisionLampsAsync(host.Http, 8);

        var job = await StartAsync(host.Http, new
        {
            target = new { kind = "lamp", ids },
            command = new { name = "dim", args = new { level = 25 }, ttlSeconds = 600 },
            ratePerSecond = 2,
        });
        var id = job["id"]!.GetValue<string>();
        await Poll.UntilAsync(async () => (await GetAsync(host.Http, id)).Count("queued") >= 2, "the job to start its first targets", TimeSpan.FromSeconds(30));

        await host.RestartAsync();

        await Poll.UntilAsync(async () => (await GetAsync(host.Http, id)).Count("pending") == 0, "the resumed job to start every target", TimeSpan.FromSeconds(60));
        foreach (var lamp in ids)
        {
            var commands = (await host.Http.GetFromJsonAsync<JsonNode>($"/api/devices/lamp/{lamp}/commands"))!["items"]!.AsArray();
            var command = Assert.Single(commands);
            Assert.Equal("job-" + id, command!["id"]!.GetValue<string>());
            Assert.Equal(id, command["jobId"]!.GetValue<string>());
        }

        using var cancel = await host.Http.DeleteAsync($"/api/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var cancelled = await GetAsync(host.Http, id);
        Assert.Equal("cancelled", cancelled["state"]!.GetValue<string>());
        Assert.Equal(ids.Count, cancelled.Count("cancelled"));
        AssertCountsAddUp(cancelled);
    }

    [Fact]
    public async Task ProgressReportedAfterTheRolloutIsStoredWithoutARestart()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var ids = await ProvisionLampsAsync(host.Http, 2);

        // The lamps are offline, so their commands end by expiring: the part learns that from the
        // twins and keeps it with its delayed write, not a write of its own call.
        var job = await StartAsync(host.Http, new
        {
            target = new { kind = "lamp", ids },
            command = new { name = "dim", args = new { level = 25 }, ttlSeconds = 1 },
        });
        var id = job["id"]!.GetValue<string>();
        await Poll.UntilAsync(async () => (await GetAsync(host.Http, id)).Count("pending") == 0, "the job to start every target", TimeSpan.FromSeconds(30));
        var startedVersion = await StoredPartVersionAsync(host, id);

        var ended = await WaitForEndAsync(host.Http, id, TimeSpan.FromSeconds(60));
        Assert.Equal(ids.Count, ended.Count("expired"));
        await Poll.UntilAsync(
            async () => await StoredPartVersionAsync(host, id) > startedVersion,
            "the part to store the expiries it was told of",
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task TheAbortRuleStopsTheRolloutWhenTooManyFail()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var ids = await ProvisionLampsAsync(host.Http, 40);

        // Nobody is connected: every command expires after a second.
        var job = await StartAsync(host.Http, new
        {
            target = new { kind = "lamp", ids },
            command = new { name = "blink", args = new { seconds = 5 }, ttlSeconds = 1 },
            ratePerSecond = 5,
            abortFailurePercent = 50,
        });

        var done = await WaitForEndAsync(host.Http, job["id"]!.GetValue<string>(), TimeSpan.FromSeconds(60));

        Assert.Equal("aborted", done["state"]!.GetValue<string>());
        Assert.Contains("more than the 50 % allowed", done["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(done.Count("pending") > 0, "an aborted job leaves the targets it had not started alone: " + done.ToJsonString());
        Assert.True(done.Count("expired") >= 10, done.ToJsonString());
        AssertCountsAddUp(done);
    }

    [Fact]
    public async Task ADesiredPatchJobChangesEveryTargetsDesiredState()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var (a, _) = await Api.ApiTestKit.ProvisionLampAsync(host.Http);
        var (b, _) = await Api.ApiTestKit.ProvisionLampAsync(host.Http);

        var job = await StartAsync(host.Http, new { target = new { kind = "lamp", ids = new[] { a, b, "DU-L-NOT-THERE" } }, desired = new { on = true, level = 60 } });
        var done = await WaitForEndAsync(host.Http, job["id"]!.GetValue<string>(), TimeSpan.FromSeconds(30));

        Assert.Equal("completed", done["state"]!.GetValue<string>());
        Assert.Equal(2, done.Count("targeted"));
        Assert.Equal(2, done.Count("succeeded"));
        foreach (var lamp in new[] { a, b })
        {
            var twin = (await host.Http.GetFromJsonAsync<JsonNode>($"/api/devices/lamp/{lamp}"))!;
            Assert.Equal(60, twin["desired"]!["level"]!.GetValue<double>());
        }
    }

    [Theory]
    [InlineData("""{"target": {"kind": "lamp"}}""", "exactly one of 'command' and 'desired'")]
    [InlineData("""{"target": {"kind": "tram"}, "desired": {"level": 5}}""", "target.kind")]
    [InlineData("""{"target": {"kind": "lamp", "boroughs": ["Atlantis"]}, "desired": {"level": 5}}""", "'Atlantis' is not a borough")]
    [InlineData("""{"target": {"kind": "lamp"}, "command": {"name": "dim", "args": {"level": 400}}}""", "level")]
    [InlineData("""{"target": {"kind": "lamp"}, "command": {"name": "reboot"}}""", "'reboot' is not a lamp command")]
    [InlineData("""{"target": {"kind": "lamp"}, "desired": {"level": 5}, "ratePerSecond": 100000}""", "ratePerSecond")]
    public async Task ABadJobIs400NamingTheProblem(string body, string named)
    {
        await using var host = new FleetHost();
        await host.StartAsync();

        using var response = await host.Http.PostAsync("/api/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await Api.ApiTestKit.AssertProblemAsync(response, 400, named);
    }

    private static FleetHost DemoHost(int lamps) => new(new Dictionary<string, string>
    {
        ["Fleet:Demo:Enabled"] = "true",
        ["Fleet:Demo:LiveDevices"] = "true",
        ["Fleet:Demo:LiveDeviceInterval"] = "00:00:02",
        ["Fleet:Demo:Lamps"] = lamps.ToString(CultureInfo.InvariantCulture),
        ["Fleet:Demo:ParkingBays"] = "0",
        ["Fleet:Demo:AccessPoints"] = "0",
        ["Fleet:Demo:Meters"] = "0",
        ["Fleet:Mqtt:Port"] = FleetHost.FreePort().ToString(CultureInfo.InvariantCulture),
        ["Fleet:Mqtt:BindAddress"] = "127.0.0.1",
    });

    private static async Task<int> IndexedLampsAsync(HttpClient http, string borough)
    {
        var figures = await http.GetFromJsonAsync<JsonNode>($"/api/boroughs/{borough}");
        return figures?["lamp"]?["devices"]?.GetValue<int>() ?? 0;
    }

    private static async Task<int> OnlineLampsAsync(HttpClient http, string borough)
    {
        var figures = await http.GetFromJsonAsync<JsonNode>($"/api/boroughs/{borough}");
        return figures?["lamp"]?["online"]?.GetValue<int>() ?? 0;
    }

    /// <summary>The stored version of the job's first part (its row in the host's SQLite file).</summary>
    private static async Task<long> StoredPartVersionAsync(FleetHost host, string jobId)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(host.DataDirectory, "fleet.db")};Mode=ReadOnly;Pooling=False");
        await using (connection)
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            command.CommandText = "SELECT version FROM fleet_grain_state WHERE grain_id_ext = $part";
            command.Parameters.AddWithValue("$part", jobId + ":0");
            return await command.ExecuteScalarAsync() is long version ? version : 0;
        }
    }
}
