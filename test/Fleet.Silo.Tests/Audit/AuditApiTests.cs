using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using System.Text;
using Fleet.Silo.Auth;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Audit;

/// <summary>What the API records, and reading it back with filters and pages. Each test acts through keys of its own.</summary>
[Collection(HostCollection.Name)]
public sealed class AuditApiTests(HostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task ProvisioningDesiredAndKeyActionsAreRecordedWithWhoWhatAndOutcome()
    {
        var actorName = NewId("auditor");
        var (admin, adminId) = await KeyAsync(FleetRoles.Admin, actorName);
        var lamp = NewId("DU-L");
        var started = DateTimeOffset.UtcNow;

        using (var provisioned = await admin.PostAsJsonAsync("/api/devices", LampBody(lamp)))
        {
            Assert.Equal(HttpStatusCode.Created, provisioned.StatusCode);
        }

        using (var patched = await admin.SendAsync(MergePatch($"/api/devices/lamp/{lamp}/desired", """{"level": 40, "on": true}""")))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        using (var invalid = await admin.SendAsync(MergePatch($"/api/devices/lamp/{lamp}/desired", """{"level": 150}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }

        using (var rotated = await admin.PostAsync($"/api/devices/lamp/{lamp}/secret", null))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        using (var deleted = await admin.DeleteAsync($"/api/devices/lamp/{lamp}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var csv = $"kind,id,borough,lat,lon,ratedWatts\nlamp,{NewId("DU-L")},Mitte,51.43,6.76,60\nlamp,bad id,Mitte,51.43,6.76,60\nlamp,{NewId("DU-L")},Mitte,51.43,6.76,60\n";
        using (var imported = await admin.PostAsync("/api/devices/import", new StringContent(csv, Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        }

        using var created = await admin.PostAsJsonAsync("/api/keys", new { name = "made-by-" + actorName, role = FleetRoles.Maintenance });
        var newKeyId = (await ReadJsonAsync(created))["record"]!["id"]!.GetValue<string>();
        using (var revoked = await admin.DeleteAsync($"/api/keys/{newKeyId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        var entries = await AuditAsync($"actor={actorName}");
        Assert.Equal(
            ["key.revoke", "key.create", "device.import", "device.decommission", "device.rotate-secret", "device.desired", "device.desired", "device.provision"],
            entries.Select(entry => entry["action"]!.GetValue<string>()));
        Assert.All(entries, entry =>
        {
            Assert.Equal(adminId, entry["actor"]!["id"]!.GetValue<string>());
            Assert.Equal(actorName, entry["actor"]!["name"]!.GetValue<string>());
            Assert.Equal("admin", entry["actor"]!["role"]!.GetValue<string>());
            Assert.InRange(entry["at"]!.GetValue<DateTimeOffset>(), started.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        });

        var device = await AuditAsync($"deviceId={lamp}");
        Assert.Equal(5, device.Count);
        Assert.All(device, entry => Assert.Equal("lamp", entry["targetKind"]!.GetValue<string>()));
        AssertEntry(device[^1], "device.provision", 201, "ok", "borough Mitte");
        AssertEntry(device[^2], "device.desired", 200, "ok", """{"level":40,"on":true}""");
        AssertEntry(device[^3], "device.desired", 400, "refused: 'level'", """{"level":150}""");
        AssertEntry(device[^4], "device.rotate-secret", 200, "ok", null);
        AssertEntry(device[^5], "device.decommission", 204, "ok", null);

        AssertEntry(entries[2], "device.import", 200, "ok", "3 rows: 2 created, 1 failed");
        AssertEntry(entries[1], "key.create", 201, "ok", "role maintenance");
        Assert.Equal("key", entries[1]["targetKind"]!.GetValue<string>());
        Assert.Equal(newKeyId, entries[1]["targetId"]!.GetValue<string>());
        AssertEntry(entries[0], "key.revoke", 204, "ok", "name 'made-by-");
        Assert.Equal(newKeyId, entries[0]["targetId"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARefusedAttemptIsRecordedWithTheRefusingKey()
    {
        var (lamp, _) = await ProvisionLampAsync(Host.Http);
        var (integration, integrationId) = await KeyAsync(FleetRoles.Integration, NewId("city-gis"));

        using var refused = await integration.SendAsync(MergePatch($"/api/devices/lamp/{lamp}/desired", """{"level": 10}"""));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        var entry = Assert.Single(await AuditAsync($"actor={integrationId}"));
        AssertEntry(entry, "device.desired", 403, "refused: The API key", null);
        Assert.Equal("integration", entry["actor"]!["role"]!.GetValue<string>());
        Assert.Equal(lamp, entry["targetId"]!.GetValue<string>());
    }

    [Fact]
    public async Task FiltersNarrowByActionKindAndTime()
    {
        var actorName = NewId("filters");
        var (admin, _) = await KeyAsync(FleetRoles.Admin, actorName);
        var (lamp, _) = await ProvisionLampAsync(admin);
        using (await admin.SendAsync(MergePatch($"/api/devices/lamp/{lamp}/desired", """{"level": 1}""")))
        {
        }

        var between = DateTimeOffset.UtcNow;
        await Hosting.Poll.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > between.AddMilliseconds(5)), "the clock to move on");
        using (await admin.PostAsJsonAsync("/api/keys", new { name = "filtered", role = FleetRoles.Integration }))
        {
        }

        Assert.Single(await AuditAsync($"actor={actorName}&action=device.desired"));
        Assert.Single(await AuditAsync($"actor={actorName}&kind=key"));
        Assert.Equal(2, (await AuditAsync($"actor={actorName}&kind=lamp")).Count);
        Assert.Equal("key.create", Assert.Single(await AuditAsync($"actor={actorName}&from={Uri.EscapeDataString(between.ToString("O"))}"))["action"]!.GetValue<string>());
        Assert.Equal(2, (await AuditAsync($"actor={actorName}&to={Uri.EscapeDataString(between.ToString("O"))}")).Count);
        Assert.Empty(await AuditAsync($"actor={actorName}&action=device.decommission"));
    }

    [Fact]
    public async Task PagesFollowTheCursorNewestFirstWithoutGapsOrRepeats()
    {
        var actorName = NewId("pager");
        var (admin, _) = await KeyAsync(FleetRoles.Admin, actorName);
        var (lamp, _) = await ProvisionLampAsync(admin);
        await Task.WhenAll(Enumerable.Range(0, 24).Select(async level =>
        {
            using var response = await admin.SendAsync(MergePatch($"/api/devices/lamp/{lamp}/desired", $$"""{"level": {{level}}}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }));

        var seen = new List<JsonNode>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await PageAsync($"actor={actorName}&limit=10" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)));
            seen.AddRange(page["entries"]!.AsArray().Select(entry => entry!));
            cursor = page["next"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(25, seen.Count);
        Assert.Equal(25, seen.Select(entry => entry["id"]!.GetValue<long>()).Distinct().Count());
        var order = seen.Select(entry => (entry["at"]!.GetValue<DateTimeOffset>(), entry["id"]!.GetValue<long>())).ToList();
        Assert.Equal(order.OrderByDescending(key => key.Item1).ThenByDescending(key => key.Item2), order);
        Assert.Equal("device.provision", seen[^1]["action"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("limit=0", "'limit'")]
    [InlineData("limit=1001", "'limit'")]
    [InlineData("limit=ten", "'limit'")]
    [InlineData("cursor=not-a-cursor", "'cursor'")]
    [InlineData("from=yesterday", "'from'")]
    public async Task BadQueriesAreRefusedNamingTheParameter(string query, string named)
    {
        using var response = await Host.Http.GetAsync("/api/audit?" + query);

        await AssertProblemAsync(response, 400, named);
    }

    private static void AssertEntry(JsonNode entry, string action, int status, string outcomeStart, string? detailContains)
    {
        Assert.Equal(action, entry["action"]!.GetValue<string>());
        Assert.Equal(status, entry["status"]!.GetValue<int>());
        Assert.StartsWith(outcomeStart, entry["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        if (detailContains is null)
        {
            Assert.Null(entry["detail"]);
        }
        else
        {
            Assert.Contains(detailContains, entry["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    private async Task<(HttpClient Client, string Id)> KeyAsync(string role, string name)
    {
        using var created = await Host.Http.PostAsJsonAsync("/api/keys", new { name, role });
        var body = await ReadJsonAsync(created);
        return (Host.CreateClient(body["key"]!.GetValue<string>()), body["record"]!["id"]!.GetValue<string>());
    }

    private async Task<List<JsonNode>> AuditAsync(string query) =>
        (await PageAsync(query))["entries"]!.AsArray().Select(entry => entry!).ToList();

    private async Task<JsonNode> PageAsync(string query)
    {
        using var response = await Host.Http.GetAsync("/api/audit?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }
}
