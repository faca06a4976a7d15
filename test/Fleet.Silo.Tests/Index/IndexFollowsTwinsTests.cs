using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Fleet.Client;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Silo.Index;
using Fleet.Silo.Tests.Hosting;
using Fleet.Twins;
using Xunit.Abstractions;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Index;

/// <summary>
/// The index on a running host (SQLite): it follows the twins under concurrent updates, answers
/// GET /api/devices with every filter, sort and cursor, and serves the CLI through the query grain.
/// Each test works on its own tagged devices of the shared host.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class IndexFollowsTwinsTests(HostFixture fixture, ITestOutputHelper output)
{
    private IGrainFactory Grains => fixture.Host.Service<IGrainFactory>();

    [Fact]
    public async Task UnderConcurrentUpdatesTheIndexEndsEqualToTheTwins()
    {
        var fleet = new TestFleet(Grains);
        var kinds = new[] { DeviceKind.Lamp, DeviceKind.Parking, DeviceKind.Wifi, DeviceKind.Meter };
        for (var i = 0; i < 48; i++)
        {
            await fleet.ProvisionAsync(kinds[i % 4], Boroughs.All[i % Boroughs.All.Count]);
        }

        // Every device reports eight times and connects, all at once; the reports of one device race
        // each other too, so some arrive out of order and the twin drops them — the index must
        // still end where the twin ends.
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var work = new List<Task>();
        foreach (var (kind, id) in fleet.Devices)
        {
            work.Add(fleet.ConnectAsync(kind, id));
            for (var step = 0; step < 8; step++)
            {
                var ts = start.AddMinutes(step);
                work.Add(kind switch
                {
                    DeviceKind.Lamp => fleet.ReportAsync(kind, id, ts, ("on", true), ("level", 100), ("powerW", step % 2 == 0 ? 1 : 55)),
                    DeviceKind.Parking => fleet.ReportAsync(kind, id, ts, ("state", TwinSchema.ParkingStates[step % 4]), ("batteryPct", step * 3)),
                    DeviceKind.Wifi => fleet.ReportAsync(kind, id, ts, ("up", step % 3 != 0), ("clients", step * 7)),
                    _ => fleet.ReportAsync(kind, id, ts, ("register", 100 + (step * 2.5)), ("leak", step == 7)),
                });
            }
        }

        await Task.WhenAll(work);
        var settled = Stopwatch.StartNew();
        await fleet.UntilIndexedAsync(TimeSpan.FromSeconds(15));
        output.WriteLine($"{fleet.Devices.Count} devices × 9 concurrent changes: index equal to the twins {settled.ElapsedMilliseconds} ms after the last call returned");

        // One more change, timed from the call to its visibility in the index.
        var (lampKind, lamp) = fleet.Devices[0];
        var changed = Stopwatch.StartNew();
        var result = await fleet.ReportAsync(lampKind, lamp, null, ("level", 42));
        await Poll.UntilAsync(async () => (await fleet.IndexedAsync())[(lampKind, lamp)].Version == result.Version, "the last report in the index", TimeSpan.FromSeconds(10));
        var status = fixture.Host.Service<TwinIndexWriter>().Status();
        output.WriteLine($"one report → visible in the index after {changed.ElapsedMilliseconds} ms; writer: last lag {status.LastLagMs:F0} ms, max lag {status.MaxLagMs:F0} ms, {status.Batches} batches");
    }

    [Fact]
    public async Task GetDevicesFindsExactlyTheFaultyLampsOfABorough()
    {
        var fleet = new TestFleet(Grains);
        var faulty = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var borough = i < 4 ? Boroughs.Hamborn : Boroughs.Mitte;
            var id = await fleet.ProvisionAsync(DeviceKind.Lamp, borough);
            var power = i % 2 == 0 ? 2 : 58; // 2 W of 60 W expected: lampFailure after two reports
            await fleet.ReportAsync(DeviceKind.Lamp, id, null, ("on", true), ("level", 100), ("powerW", power));
            await fleet.ReportAsync(DeviceKind.Lamp, id, null, ("powerW", power));
            if (i % 2 == 0 && borough == Boroughs.Hamborn)
            {
                faulty.Add(id);
            }
        }

        await fleet.ProvisionAsync(DeviceKind.Meter, Boroughs.Hamborn);
        await fleet.UntilIndexedAsync();

        using var response = await fixture.Http.GetAsync($"/api/devices?kind=lamp&borough=Hamborn&fault=lampFailure&q={fleet.Tag}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await ReadJsonAsync(response);
        Assert.Equal(faulty, page["items"]!.AsArray().Select(item => item!["id"]!.GetValue<string>()));
        Assert.Null(page["next"]);
        var first = page["items"]![0]!;
        Assert.Equal("lamp", first["kind"]!.GetValue<string>());
        Assert.Equal(Boroughs.Hamborn, first["borough"]!.GetValue<string>());
        Assert.True(first["online"] is not null && first["lastSeen"] is not null);
        Assert.Contains("lampFailure", first["faults"]!.AsArray().Select(fault => fault!.GetValue<string>()));
        Assert.Equal(2, first["values"]!["powerW"]!.GetValue<double>());
    }

    [Fact]
    public async Task PagesSortsAndTheBoundingBoxWorkOverHttp()
    {
        var fleet = new TestFleet(Grains);
        for (var i = 0; i < 7; i++)
        {
            var id = await fleet.ProvisionAsync(DeviceKind.Parking, Boroughs.All[i], lat: 51.40 + (i * 0.01), lon: 6.70 + (i * 0.01));
            if (i != 3)
            {
                await fleet.ReportAsync(DeviceKind.Parking, id, null, ("state", "free"));
            }
        }

        await fleet.UntilIndexedAsync();
        var twins = await fleet.TwinsAsync();

        async Task<List<string>> AllPagesAsync(string query)
        {
            var ids = new List<string>();
            string? cursor = null;
            do
            {
                using var response = await fixture.Http.GetAsync($"/api/devices?q={fleet.Tag}&limit=2&{query}" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var page = await ReadJsonAsync(response);
                var items = page["items"]!.AsArray();
                Assert.InRange(items.Count, 1, 2);
                ids.AddRange(items.Select(item => item!["id"]!.GetValue<string>()));
                cursor = page["next"]?.GetValue<string>();
            }
            while (cursor is not null);
            return ids;
        }

        Assert.Equal(fleet.Devices.Select(device => device.Id).Order(StringComparer.Ordinal), await AllPagesAsync("sort=id"));
        Assert.Equal(
            twins.Values.OrderBy(twin => twin!.Metadata.Borough, StringComparer.Ordinal).Select(twin => twin!.Id),
            await AllPagesAsync("sort=borough"));
        var byLastSeen = await AllPagesAsync("sort=-lastSeen");
        Assert.Equal(
            twins.Values.OrderByDescending(twin => twin!.Connectivity.LastSeen ?? DateTimeOffset.MinValue).ThenByDescending(twin => twin!.Id, StringComparer.Ordinal).Select(twin => twin!.Id),
            byLastSeen);
        Assert.Equal(fleet.Devices[3].Id, byLastSeen[^1]); // never seen: last

        Assert.Equal(fleet.Devices.Skip(2).Take(3).Select(device => device.Id), await AllPagesAsync("bbox=6.715,51.415,6.745,51.445"));
        Assert.Equal([fleet.Devices[1].Id], await AllPagesAsync("borough=hamborn"));
    }

    [Theory]
    [InlineData("kind=streetlight", "kind")]
    [InlineData("borough=Atlantis", "borough")]
    [InlineData("online=maybe", "online")]
    [InlineData("fault=lampFailur", "fault")]
    [InlineData("bbox=6.7,51.4,6.8", "bbox")]
    [InlineData("bbox=6.8,51.4,6.7,51.5", "bbox")]
    [InlineData("sort=lastSeen", "sort")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    public async Task AnInvalidParameterIsA400ThatNamesIt(string query, string parameter)
    {
        using var response = await fixture.Http.GetAsync("/api/devices?" + query);

        await AssertProblemAsync(response, 400, parameter);
        var problem = await ReadJsonAsync(response);
        Assert.NotNull(problem["errors"]![parameter]);
    }

    [Fact]
    public async Task ADecommissionedDeviceLeavesTheIndexAndComesBackWhenProvisionedAgain()
    {
        var fleet = new TestFleet(Grains);
        var id = await fleet.ProvisionAsync(DeviceKind.Meter, Boroughs.Walsum);
        await fleet.ReportAsync(DeviceKind.Meter, id, null, ("register", 5), ("leak", true));
        await fleet.UntilIndexedAsync();

        Assert.Equal(TwinOutcome.Ok, (await Grains.GetTwin(DeviceKind.Meter, id).Decommission()).Outcome);
        await fleet.UntilIndexedAsync();
        Assert.Empty(await fleet.IndexedAsync());

        Assert.Equal(TwinOutcome.Ok, (await Grains.GetTwin(DeviceKind.Meter, id).Provision(new DeviceMetadata { Borough = Boroughs.Sued, Lat = 51.38, Lon = 6.77, Medium = MeterMedia.Gas })).Outcome);
        await fleet.UntilIndexedAsync();
        var row = Assert.Single((await fleet.IndexedAsync()).Values);
        Assert.Equal((Boroughs.Sued, MeterMedia.Gas), (row.Borough, row.Medium));
        Assert.Empty(row.Faults);
    }

    [Fact]
    public async Task TheCliListsDevicesAndBoroughsThroughTheQueryGrain()
    {
        var fleet = new TestFleet(Grains);
        var failing = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var id = await fleet.ProvisionAsync(DeviceKind.Lamp, i < 3 ? Boroughs.Hamborn : Boroughs.Walsum);
            if (i != 1)
            {
                await fleet.ReportAsync(DeviceKind.Lamp, id, null, ("on", true), ("level", 80), ("powerW", 1));
                await fleet.ReportAsync(DeviceKind.Lamp, id, null, ("powerW", 1));
                if (i < 3)
                {
                    failing.Add(id);
                }
            }
        }

        await fleet.UntilIndexedAsync();

        var (exit, text, _) = await CliAsync("devices", "list", "--borough", "Hamborn", "--fault", "lampFailure", "--q", fleet.Tag);
        Assert.Equal(0, exit);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("KIND", lines[0], StringComparison.Ordinal);
        Assert.Equal(failing, lines.Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));

        (exit, text, _) = await CliAsync("devices", "list", "--q", fleet.Tag, "--limit", "1", "--all", "--json");
        Assert.Equal(0, exit);
        Assert.Equal(fleet.Devices.Count, text.Split("\"items\"", StringSplitOptions.None).Length - 1);

        (exit, text, _) = await CliAsync("devices", "list", "--q", fleet.Tag, "--limit", "3");
        Assert.Equal(0, exit);
        Assert.Contains("more: --cursor ", text, StringComparison.Ordinal);

        (exit, text, _) = await CliAsync("boroughs", "hamborn");
        Assert.Equal(0, exit);
        var hamborn = JsonNode.Parse(text)!;
        Assert.Equal(Boroughs.Hamborn, hamborn["name"]!.GetValue<string>());
        Assert.True(hamborn["lamp"]!["devices"]!.GetValue<int>() >= 3);

        var (badExit, _, error) = await CliAsync("devices", "list", "--limit", "0");
        Assert.Equal(1, badExit);
        Assert.Contains("--limit", error, StringComparison.Ordinal);

        (badExit, _, error) = await CliAsync("boroughs", "Atlantis");
        Assert.Equal(1, badExit);
        Assert.Contains("not a borough", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheIndexReportsItsWriterAndAcceptsARebuild()
    {
        using var status = await fixture.Http.GetAsync("/api/devices/index");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var body = await ReadJsonAsync(status);
        Assert.Equal(1, body["format"]!.GetValue<int>());
        Assert.NotNull(body["writer"]!["pending"]);

        using var rebuild = await fixture.Http.PostAsync("/api/devices/index/rebuild", null);
        Assert.Equal(HttpStatusCode.Accepted, rebuild.StatusCode);
        Assert.Equal("/api/devices/index", rebuild.Headers.Location?.OriginalString);
        var accepted = await ReadJsonAsync(rebuild);
        Assert.NotNull(accepted["rebuild"]!["startedAt"]);

        await Poll.UntilAsync(
            async () => (await ReadJsonAsync(await fixture.Http.GetAsync("/api/devices/index")))["rebuild"]!["state"]!.GetValue<string>() != "running",
            "the rebuild to finish");
        var done = await ReadJsonAsync(await fixture.Http.GetAsync("/api/devices/index"));
        Assert.Equal("completed", done["rebuild"]!["state"]!.GetValue<string>());
    }

    private async Task<(int Exit, string Out, string Error)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        string[] connection = ["--gateway", $"127.0.0.1:{fixture.Host.Setting("Fleet:Orleans:GatewayPort")}", "--cluster-id", fixture.Host.Setting("Fleet:Orleans:ClusterId")];
        var exit = await FleetCli.RunAsync([.. args, .. connection], stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
