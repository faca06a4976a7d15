using System.Net.Http.Headers;
using System.Net;
using System.Text.Json.Nodes;
using Fleet.Devices;
using Fleet.Silo.Auth;
using Fleet.Silo.Tests.Alarms;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Ngsi;

/// <summary>The NGSI-LD read view: entities follow the Smart Data Models attribute rules, content negotiation, paging.</summary>
[Collection(HostCollection.Name)]
public sealed class NgsiLdTests(HostFixture fixture)
{
    private const string ContextLink = "<https://smartdatamodels.org/context.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

    private FleetHost Host => fixture.Host;

    private FleetDevices Devices { get; } = new(fixture.Host);

    [Fact]
    public async Task ALampIsAStreetlightWithPowerStateIlluminanceAndStatus()
    {
        var lamp = await Devices.ProvisionAsync(DeviceKind.Lamp, "Hamborn");
        await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("on", true), ("level", 40), ("powerW", 24));

        using var response = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:{lamp}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(ContextLink, response.Headers.GetValues("Link"));
        var entity = NgsiRules.Validate(await ReadJsonAsync(response), "Streetlight");

        Assert.Equal($"urn:ngsi-ld:Streetlight:{lamp}", entity["id"]!.GetValue<string>());
        Assert.Equal("on", entity["powerState"]!["value"]!.GetValue<string>());
        Assert.NotNull(entity["powerState"]!["observedAt"]);
        Assert.Equal(0.4, entity["illuminanceLevel"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal("ok", entity["status"]!["value"]!.GetValue<string>());
        Assert.Equal("2023-04-01T00:00:00.000Z", entity["dateLastLampChange"]!["value"]!["@value"]!.GetValue<string>());
        Assert.Equal([6.7623, 51.4344], entity["location"]!["value"]!["coordinates"]!.AsArray().Select(c => c!.GetValue<double>()));
        Assert.Equal($"urn:ngsi-ld:Device:lamp:{lamp}", entity["refDevice"]!["object"]!.GetValue<string>());
        Assert.False(entity.ContainsKey("@context"));

        // A lamp that fails twice in a row is defectiveLamp.
        await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("on", true), ("level", 100), ("powerW", 1));
        await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("on", true), ("level", 100), ("powerW", 1));
        using var failed = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:{lamp}");
        Assert.Equal("defectiveLamp", NgsiRules.Validate(await ReadJsonAsync(failed), "Streetlight")["status"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task AskingForLdJsonPutsTheContextInTheBody()
    {
        var bay = await Devices.ProvisionAsync(DeviceKind.Parking, zone: "Zone-7");
        await Devices.ReportAsync(DeviceKind.Parking, bay, ("state", "occupied"), ("observedAt", "2026-05-31T18:00:00Z"));

        using var response = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:ParkingSpot:{bay}", "application/ld+json");
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.TryGetValues("Link", out _));
        var entity = NgsiRules.Validate(await ReadJsonAsync(response), "ParkingSpot");
        Assert.Equal("occupied", entity["status"]!["value"]!.GetValue<string>());
        Assert.Equal("2026-05-31T18:00:00.000Z", entity["status"]!["observedAt"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:OnStreetParking:Zone-7", entity["refParkingSite"]!["object"]!.GetValue<string>());
        Assert.Contains("https://smartdatamodels.org/context.jsonld", entity["@context"]!.AsArray().Select(c => c!.GetValue<string>()));

        using var simplified = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:ParkingSpot:{bay}?options=keyValues");
        var keyValues = await ReadJsonAsync(simplified);
        Assert.Equal("occupied", keyValues["status"]!.GetValue<string>());
        Assert.Equal("Point", keyValues["location"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task MetersAccessPointsAndDevicesFollowTheirModels()
    {
        var water = await Devices.ProvisionAsync(DeviceKind.Meter, medium: "water");
        await Devices.ReportAsync(DeviceKind.Meter, water, ("register", 12.5), ("leak", true), ("batteryPct", 80));
        using (var response = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:WaterConsumptionObserved:{water}"))
        {
            var entity = NgsiRules.Validate(await ReadJsonAsync(response), "WaterConsumptionObserved");
            Assert.Equal(12_500, entity["waterConsumption"]!["value"]!.GetValue<double>());
            Assert.Equal("LTR", entity["waterConsumption"]!["unitCode"]!.GetValue<string>());
            Assert.Equal("In progress persistence", entity["alarmFlowPersistence"]!["value"]!.GetValue<string>());
            Assert.Equal(1, entity["alarmInProgress"]!["value"]!.GetValue<int>());
        }

        using (var response = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:Device:meter:{water}"))
        {
            var device = NgsiRules.Validate(await ReadJsonAsync(response), "Device");
            Assert.Equal(0.8, device["batteryLevel"]!["value"]!.GetValue<double>(), 6);
            Assert.Equal(["meter"], device["category"]!["value"]!.AsArray().Select(c => c!.GetValue<string>()));
            Assert.Equal(["waterConsumption"], device["controlledProperty"]!["value"]!.AsArray().Select(c => c!.GetValue<string>()));
        }

        var electricity = await Devices.ProvisionAsync(DeviceKind.Meter, medium: "electricity");
        using (var response = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:WaterConsumptionObserved:{electricity}"))
        {
            await AssertProblemAsync(response, 404);
        }

        var ap = await Devices.ProvisionAsync(DeviceKind.Wifi);
        await Devices.ReportAsync(DeviceKind.Wifi, ap, ("up", true), ("clients", 17), ("firmware", "7.1"));
        using (var response = await GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:AccessPoint:{ap}"))
        {
            var entity = NgsiRules.Validate(await ReadJsonAsync(response), "AccessPoint");
            Assert.Equal("up", entity["apState"]!["value"]!.GetValue<string>());
            Assert.Equal(17, entity["clientsConnected"]!["value"]!.GetValue<int>());
            Assert.Equal("7.1", entity["firmwareVersion"]!["value"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task EntitiesAreListedByTypeInPages()
    {
        for (var i = 0; i < 3; i++)
        {
            var lamp = await Devices.ProvisionAsync(DeviceKind.Lamp);
            await Devices.ReportAsync(DeviceKind.Lamp, lamp, ("on", false), ("level", 0));
        }

        // The index follows the twins within seconds.
        JsonArray first = [];
        HttpResponseHeaders? headers = null;
        await Poll.UntilAsync(
            async () =>
            {
                using var response = await GetAsync("/ngsi-ld/v1/entities?type=Streetlight&limit=2&count=true");
                first = (await ReadJsonAsync(response)).AsArray();
                headers = response.Headers;
                return first.Count == 2 && response.Headers.Contains("NGSILD-Results-Count")
                       && int.Parse(response.Headers.GetValues("NGSILD-Results-Count").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 3;
            },
            "two streetlights in the first page");
        Assert.Contains(headers!.GetValues("Link"), link => link.Contains("rel=\"next\"", StringComparison.Ordinal) && link.Contains("offset=2", StringComparison.Ordinal));

        using var second = await GetAsync("/ngsi-ld/v1/entities?type=Streetlight&limit=2&offset=2");
        var secondPage = (await ReadJsonAsync(second)).AsArray();
        Assert.NotEmpty(secondPage);
        var ids = first.Concat(secondPage).Select(entity => NgsiRules.Validate(entity, "Streetlight")["id"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());

        using var devices = await GetAsync("/ngsi-ld/v1/entities?type=Device&limit=5");
        Assert.All((await ReadJsonAsync(devices)).AsArray(), entity => NgsiRules.Validate(entity, "Device"));

        using var nobody = await GetAsync("/ngsi-ld/v1/entities?type=Building");
        Assert.Empty((await ReadJsonAsync(nobody)).AsArray());
    }

    [Fact]
    public async Task BadRequestsUnknownEntitiesAndUnacceptableMediaAreProblems()
    {
        using (var noType = await GetAsync("/ngsi-ld/v1/entities"))
        {
            await AssertProblemAsync(noType, 400, "'type'");
        }

        using (var badLimit = await GetAsync("/ngsi-ld/v1/entities?type=Streetlight&limit=1000"))
        {
            await AssertProblemAsync(badLimit, 400, "'limit'");
        }

        using (var badUrn = await GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:..%2Fx"))
        {
            await AssertProblemAsync(badUrn, 400);
        }

        using (var unknown = await GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:DU-L-NGSI-NONE"))
        {
            await AssertProblemAsync(unknown, 404);
        }

        using (var html = await GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:DU-L-NGSI-NONE", "text/html"))
        {
            Assert.Equal(HttpStatusCode.NotAcceptable, html.StatusCode);
        }

        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };
        using var unauthorized = await anonymous.GetAsync("/ngsi-ld/v1/entities?type=Streetlight");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    private async Task<HttpResponseMessage> GetAsync(string url, string? accept = null)
    {
        var client = await ReaderAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return await client.SendAsync(request);
    }

    private HttpClient? _reader;

    private async Task<HttpClient> ReaderAsync() => _reader ??= await Host.ClientWithRoleAsync(FleetRoles.Integration);
}
