using System.Net.Http.Json;
using System.Net;
using System.Text;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Api;

[Collection(HostCollection.Name)]
public sealed class DevicesApiTests(HostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task ProvisionedTwinIsReadWithItsVersionAsETag()
    {
        var id = NewId("DU-L");

        using var created = await Http.PostAsJsonAsync("/api/devices", LampBody(id));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/devices/lamp/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var credentials = await ReadJsonAsync(created);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", credentials["secret"]!.GetValue<string>());

        using var response = await Http.GetAsync($"/api/devices/lamp/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var twin = await ReadJsonAsync(response);
        Assert.Equal("lamp", twin["kind"]!.GetValue<string>());
        Assert.Equal(id, twin["id"]!.GetValue<string>());
        Assert.Equal("Mitte", twin["metadata"]!["borough"]!.GetValue<string>());
        Assert.Equal(60, twin["metadata"]!["ratedWatts"]!.GetValue<double>());
        Assert.Equal($"\"{twin["version"]!.GetValue<long>()}\"", response.Headers.ETag?.ToString());
        foreach (var field in new[] { "reported", "desired", "delta", "timestamps", "connectivity", "faults" })
        {
            Assert.NotNull(twin[field]);
        }

        Assert.False(twin["connectivity"]!["online"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ReRegisteringAnExistingIdIsAConflict()
    {
        var (id, _) = await ProvisionLampAsync(Http);

        using var again = await Http.PostAsJsonAsync("/api/devices", LampBody(id));

        await AssertProblemAsync(again, 409, id);
    }

    [Fact]
    public async Task MergePatchChangesDesiredAndIfMatchGuardsIt()
    {
        var (id, _) = await ProvisionLampAsync(Http);
        var url = $"/api/devices/lamp/{id}/desired";
        using var first = await Http.GetAsync($"/api/devices/lamp/{id}");
        var etag = first.Headers.ETag!.ToString();

        using var patched = await Http.SendAsync(MergePatch(url, """{"level": 40, "on": true}""", etag));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var twin = await ReadJsonAsync(patched);
        Assert.Equal(40, twin["desired"]!["level"]!.GetValue<double>());
        Assert.Equal(40, twin["delta"]!["level"]!.GetValue<double>());
        Assert.NotEqual(etag, patched.Headers.ETag!.ToString());

        using var stale = await Http.SendAsync(MergePatch(url, """{"level": 80}""", etag));
        await AssertProblemAsync(stale, 412);

        using var removed = await Http.SendAsync(MergePatch(url, """{"level": null}""", patched.Headers.ETag!.ToString()));
        var after = await ReadJsonAsync(removed);
        Assert.Null(after["desired"]!["level"]);
        Assert.True(after["desired"]!["on"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("""{"level": 150}""", "'level'")]
    [InlineData("""{"level": "high"}""", "'level'")]
    [InlineData("""{"powerW": 3}""", "'powerW'")]
    [InlineData("""{"level": {"value": 3}}""", "'level'")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"level": """, "not valid JSON")]
    public async Task InvalidPatchIsRefusedNamingTheProblem(string body, string named)
    {
        var (id, _) = await ProvisionLampAsync(Http);

        using var response = await Http.SendAsync(MergePatch($"/api/devices/lamp/{id}/desired", body));

        await AssertProblemAsync(response, 400, named);
        using var twin = await Http.GetAsync($"/api/devices/lamp/{id}");
        Assert.Empty((await ReadJsonAsync(twin))["desired"]!.AsObject());
    }

    [Fact]
    public async Task PatchMustBeJson()
    {
        var (id, _) = await ProvisionLampAsync(Http);
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/devices/lamp/{id}/desired")
        {
            Content = new StringContent("level=40", Encoding.UTF8, "text/plain"),
        };

        using var response = await Http.SendAsync(request);

        await AssertProblemAsync(response, 415);
    }

    [Theory]
    [InlineData("/api/devices/lamp/a%20b")]
    [InlineData("/api/devices/lamp/..%2Fx")]
    [InlineData("/api/devices/lamp/-starts-with-dash")]
    [InlineData("/api/devices/lamp/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("/api/devices/streetlight/DU-L-1")]
    public async Task BadKindOrIdIsRefusedAtTheEdge(string url)
    {
        using var response = await Http.GetAsync(url);

        await AssertProblemAsync(response, 400);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task BadIdInAProvisioningRequestIsRefused(string id)
    {
        using var response = await Http.PostAsJsonAsync("/api/devices", LampBody(id));

        await AssertProblemAsync(response, 400, "device id");
    }

    [Fact]
    public async Task BadMetadataIsRefusedNamingTheField()
    {
        using var response = await Http.PostAsJsonAsync("/api/devices", new
        {
            kind = "meter",
            id = NewId("DU-M"),
            metadata = new { borough = "Mitte", lat = 51.43, lon = 6.76 },
        });

        await AssertProblemAsync(response, 400, "'metadata.medium'");
    }

    [Fact]
    public async Task UnknownDeviceIsNotFound()
    {
        using var response = await Http.GetAsync($"/api/devices/wifi/{NewId("DU-W")}");

        await AssertProblemAsync(response, 404);
    }

    [Fact]
    public async Task UnknownRouteIsAProblemToo()
    {
        using var response = await Http.GetAsync("/api/nothing-here");

        await AssertProblemAsync(response, 404);
    }

    [Fact]
    public async Task RotatedSecretIsNewAndDecommissionRemovesTheTwin()
    {
        var (id, secret) = await ProvisionLampAsync(Http);

        using var rotated = await Http.PostAsync($"/api/devices/lamp/{id}/secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.NotEqual(secret, (await ReadJsonAsync(rotated))["secret"]!.GetValue<string>());

        using var deleted = await Http.DeleteAsync($"/api/devices/lamp/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await Http.GetAsync($"/api/devices/lamp/{id}");
        await AssertProblemAsync(gone, 404);
        using var again = await Http.DeleteAsync($"/api/devices/lamp/{id}");
        await AssertProblemAsync(again, 404);
        using var rotateGone = await Http.PostAsync($"/api/devices/lamp/{id}/secret", null);
        await AssertProblemAsync(rotateGone, 404);
    }

    [Fact]
    public async Task CsvImportProvisionsGoodRowsAndReportsBadOnes()
    {
        var lamp = NewId("DU-L");
        var meter = NewId("DU-M");
        var csv = $"""
            kind,id,borough,lat,lon,model,installed,street,ratedWatts,medium
            lamp,{lamp},Hamborn,51.494,6.770,Siteco SL20,2021-06-01,"Duisburger Str. 1, Ecke Markt",90,
            lamp,bad id,Hamborn,51.494,6.770,,,,90,
            meter,{meter},Süd,51.365,6.760,Diehl Hydrus,,,,water
            wifi,{NewId("DU-W")},Nowhere,51.4,6.7,,,,,
            parking,{NewId("DU-P")},Mitte,north,6.7,,,,,
            """;

        using var response = await Http.PostAsync("/api/devices/import", new StringContent(csv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await ReadJsonAsync(response);
        Assert.Equal(2, report["created"]!.GetValue<int>());
        Assert.Equal(3, report["failed"]!.GetValue<int>());
        var rows = report["rows"]!.AsArray();
        Assert.Equal("created", rows[0]!["status"]!.GetValue<string>());
        Assert.NotNull(rows[0]!["secret"]);
        Assert.Equal(3, rows[1]!["line"]!.GetValue<int>());
        Assert.Contains("device id", rows[1]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("'metadata.borough'", rows[3]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("'lat'", rows[4]!["error"]!.GetValue<string>(), StringComparison.Ordinal);

        using var imported = await Http.GetAsync($"/api/devices/lamp/{lamp}");
        var twin = await ReadJsonAsync(imported);
        Assert.Equal("Duisburger Str. 1, Ecke Markt", twin["metadata"]!["street"]!.GetValue<string>());
        using var importedMeter = await Http.GetAsync($"/api/devices/meter/{meter}");
        Assert.Equal("water", (await ReadJsonAsync(importedMeter))["metadata"]!["medium"]!.GetValue<string>());
    }

    [Fact]
    public async Task CsvWithoutRequiredColumnsIsRefused()
    {
        using var response = await Http.PostAsync("/api/devices/import", new StringContent("kind,id\nlamp,x\n", Encoding.UTF8, "text/csv"));

        await AssertProblemAsync(response, 400, "borough");
    }

    [Fact]
    public async Task HealthAndOpenApiAnswer()
    {
        using var live = await Http.GetAsync("/health/live");
        using var ready = await Http.GetAsync("/health/ready");
        using var openApi = await Http.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var paths = (await ReadJsonAsync(openApi))["paths"]!.AsObject();
        Assert.Contains("/api/devices/{kind}/{id}/desired", paths.Select(path => path.Key));
        Assert.Contains("/api/devices/import", paths.Select(path => path.Key));
    }

}
