using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Fleet.Alarms;
using Fleet.Devices;
using Fleet.Silo.Alarms;
using Fleet.Silo.Auth;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Hosting;
using Fleet.Twins;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Alarms;

/// <summary>Faults raised by twins become alarms: lifecycle, hysteresis, offline, durability, the Orleans face.</summary>
[Collection(AlarmsHostCollection.Name)]
public sealed class AlarmLifecycleTests(AlarmsHostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    private FleetDevices Devices { get; } = new(fixture.Host);

    [Fact]
    public async Task AFaultOpensAnAlarmThatIsAcknowledgedWithACommentAuditedAndClearedWithTheFault()
    {
        var meter = await Devices.ProvisionAsync(DeviceKind.Meter, "Hamborn");

        await Devices.ReportAsync(DeviceKind.Meter, meter, ("register", 100), ("leak", true));
        var opened = await AlarmAsync(meter, alarm => alarm["state"]!.GetValue<string>() == "active", "the leak alarm to open");
        Assert.Equal("leak", opened["type"]!.GetValue<string>());
        Assert.Equal("critical", opened["severity"]!.GetValue<string>());
        Assert.Equal("meter", opened["kind"]!.GetValue<string>());
        Assert.Equal("Hamborn", opened["borough"]!.GetValue<string>());
        Assert.Equal(1, opened["count"]!.GetValue<int>());
        var id = opened["id"]!.GetValue<long>();

        using (var byId = await Host.Http.GetAsync($"/api/alarms/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
            Assert.Equal(meter, (await ReadJsonAsync(byId))["deviceId"]!.GetValue<string>());
        }

        var crewName = NewId("crew");
        var crew = await Host.ClientWithRoleAsync(FleetRoles.Maintenance, crewName);
        using (var noComment = await crew.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment = "  " }))
        {
            await AssertProblemAsync(noComment, 400, "comment");
        }

        using (var acked = await crew.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment = "Valve shut, plumber called." }))
        {
            Assert.Equal(HttpStatusCode.OK, acked.StatusCode);
            var alarm = await ReadJsonAsync(acked);
            Assert.Equal("acknowledged", alarm["state"]!.GetValue<string>());
            Assert.Equal(crewName, alarm["acknowledgedBy"]!.GetValue<string>());
            Assert.Equal("Valve shut, plumber called.", alarm["comment"]!.GetValue<string>());
        }

        using (var again = await crew.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment = "twice" }))
        {
            await AssertProblemAsync(again, 409, crewName);
        }

        var audit = await AuditAsync($"action=alarm.acknowledge&deviceId={meter}");
        var entry = Assert.Single(audit, e => e["status"]!.GetValue<int>() == 200);
        Assert.Equal(crewName, entry["actor"]!["name"]!.GetValue<string>());
        Assert.Equal("meter", entry["targetKind"]!.GetValue<string>());
        Assert.Contains("Valve shut", entry["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // An acknowledged alarm still clears when the fault goes away.
        await Devices.ReportAsync(DeviceKind.Meter, meter, ("leak", false));
        var cleared = await AlarmAsync(meter, alarm => alarm["state"]!.GetValue<string>() == "cleared", "the leak alarm to clear");
        Assert.Equal(id, cleared["id"]!.GetValue<long>());
        Assert.NotNull(cleared["clearedAt"]!.GetValue<DateTimeOffset?>());
        Assert.Equal(crewName, cleared["acknowledgedBy"]!.GetValue<string>());

        using var late = await crew.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment = "late" });
        await AssertProblemAsync(late, 409, "cleared");
    }

    [Fact]
    public async Task AFaultThatComesBackWithinTheHoldWindowReopensTheSameAlarm()
    {
        var bay = await Devices.ProvisionAsync(DeviceKind.Parking);

        await Devices.ReportAsync(DeviceKind.Parking, bay, ("batteryPct", 10));
        var first = await AlarmAsync(bay, alarm => alarm["state"]!.GetValue<string>() == "active", "the battery alarm");
        Assert.Equal("warning", first["severity"]!.GetValue<string>());

        await Devices.ReportAsync(DeviceKind.Parking, bay, ("batteryPct", 50));
        await AlarmAsync(bay, alarm => alarm["state"]!.GetValue<string>() == "cleared", "the battery alarm to clear");

        await Devices.ReportAsync(DeviceKind.Parking, bay, ("batteryPct", 9));
        var reopened = await AlarmAsync(bay, alarm => alarm["state"]!.GetValue<string>() == "active", "the battery alarm to reopen");

        Assert.Equal(first["id"]!.GetValue<long>(), reopened["id"]!.GetValue<long>());
        Assert.Equal(2, reopened["count"]!.GetValue<int>());
        Assert.Single(await AlarmsAsync($"deviceId={bay}"));
    }

    [Fact]
    public async Task ADeviceOfflineLongerThanItsKindsThresholdRaisesAnOfflineAlarmThatClearsWhenItReturns()
    {
        var lamp = await Devices.ProvisionAsync(DeviceKind.Lamp, "Walsum");
        var session = await Devices.ConnectAsync(DeviceKind.Lamp, lamp);
        await Devices.DisconnectAsync(DeviceKind.Lamp, lamp, session);

        var offline = await AlarmAsync(lamp, alarm => alarm["type"]!.GetValue<string>() == "offline" && alarm["state"]!.GetValue<string>() == "active", "the offline alarm");
        Assert.Equal("minor", offline["severity"]!.GetValue<string>());
        Assert.Contains("1 s", offline["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        await Devices.ConnectAsync(DeviceKind.Lamp, lamp);
        var cleared = await AlarmAsync(lamp, alarm => alarm["state"]!.GetValue<string>() == "cleared", "the offline alarm to clear");
        Assert.Equal(offline["id"]!.GetValue<long>(), cleared["id"]!.GetValue<long>());
    }

    [Fact]
    public async Task AlarmsAreFilteredAndPaged()
    {
        var borough = "Rheinhausen";
        var meters = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var meter = await Devices.ProvisionAsync(DeviceKind.Meter, borough);
            meters.Add(meter);
            await Devices.ReportAsync(DeviceKind.Meter, meter, ("tamper", true));
        }

        foreach (var meter in meters)
        {
            await AlarmAsync(meter, alarm => alarm["state"]!.GetValue<string>() == "active", "the tamper alarm");
        }

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await PageAsync($"state=active&severity=major&kind=meter&borough={borough}&limit=2" + (cursor is null ? string.Empty : "&cursor=" + cursor));
            var alarms = page["alarms"]!.AsArray();
            Assert.InRange(alarms.Count, 1, 2);
            Assert.All(alarms, alarm => Assert.Equal("tamper", alarm!["type"]!.GetValue<string>()));
            seen.AddRange(alarms.Select(alarm => alarm!["id"]!.GetValue<long>()));
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.True(seen.Count >= 3);
        Assert.Equal(seen.OrderDescending(), seen);

        using var bad = await Host.Http.GetAsync("/api/alarms?state=burning");
        await AssertProblemAsync(bad, 400, "'state'");
        using var unknown = await Host.Http.GetAsync("/api/alarms/999999999");
        await AssertProblemAsync(unknown, 404);
        using var notAnId = await Host.Http.PostAsJsonAsync("/api/alarms/abc/ack", new { comment = "x" });
        await AssertProblemAsync(notAnId, 400);
        using var unknownAck = await Host.Http.PostAsJsonAsync("/api/alarms/999999999/ack", new { comment = "x" });
        await AssertProblemAsync(unknownAck, 404);
    }

    [Fact]
    public async Task AnIntegrationKeyReadsAlarmsButMayNotAcknowledge()
    {
        var integration = await Host.ClientWithRoleAsync(FleetRoles.Integration);
        using (var list = await integration.GetAsync("/api/alarms?limit=1"))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        using var ack = await integration.PostAsJsonAsync("/api/alarms/1/ack", new { comment = "no" });
        await AssertProblemAsync(ack, 403, "maintenance");
    }

    [Fact]
    public async Task TheAlarmsGrainListsAndAcknowledgesForOrleansClients()
    {
        var ap = await Devices.ProvisionAsync(DeviceKind.Wifi);
        await Devices.ReportAsync(DeviceKind.Wifi, ap, ("up", false));
        var opened = await AlarmAsync(ap, alarm => alarm["state"]!.GetValue<string>() == "active", "the apDown alarm");

        var grain = Host.Service<IGrainFactory>().GetGrain<IAlarmsGrain>(0);
        var page = await grain.List(new AlarmQuery { DeviceId = ap, Kind = DeviceKind.Wifi });
        var alarm = Assert.Single(page.Alarms);
        Assert.Equal(FaultCodes.ApDown, alarm.Type);
        Assert.Equal(AlarmSeverity.Major, alarm.Severity);

        var result = await grain.Acknowledge(alarm.Id, "night-desk", "Rebooting remotely.");
        Assert.Equal(AckOutcome.Acknowledged, result.Outcome);
        Assert.Equal("night-desk", result.Alarm!.AcknowledgedBy);
        Assert.Equal(opened["id"]!.GetValue<long>(), (await grain.Get(alarm.Id))!.Id);

        var audit = await AuditAsync($"action=alarm.acknowledge&deviceId={ap}");
        Assert.Equal(AlarmBook.ClientRole, Assert.Single(audit)["actor"]!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheReconcileOpensTheAlarmOfAFaultWhoseChangeWasLost()
    {
        var meter = await Devices.ProvisionAsync(DeviceKind.Meter);
        await Devices.ReportAsync(DeviceKind.Meter, meter, ("backflow", true));
        var opened = await AlarmAsync(meter, alarm => alarm["state"]!.GetValue<string>() == "active", "the backflow alarm");

        // Lose the alarm, as a crash between the twin's write and the alarm batch would.
        var database = Host.Service<FleetDatabase>();
        await database.WriteAsync(
            async (connection, transaction) =>
            {
                var command = connection.CreateCommand();
                await using (command)
                {
                    command.Transaction = transaction;
                    command.CommandText = "DELETE FROM fleet_alarms WHERE id = @id";
                    FleetDatabase.AddParameter(command, "id", opened["id"]!.GetValue<long>());
                    return await command.ExecuteNonQueryAsync();
                }
            },
            CancellationToken.None);
        Assert.Empty(await AlarmsAsync($"deviceId={meter}"));

        var reconciler = Host.Service<AlarmReconciler>();
        await Poll.UntilAsync(
            async () =>
            {
                await reconciler.ReconcileAsync(CancellationToken.None);
                await Host.Service<AlarmWriter>().FlushAsync(CancellationToken.None);
                return (await AlarmsAsync($"deviceId={meter}&state=active")).Count == 1;
            },
            "the reconcile to reopen the backflow alarm");
        var restored = Assert.Single(await AlarmsAsync($"deviceId={meter}"));
        Assert.Equal("backflow", restored["type"]!.GetValue<string>());
    }

    private async Task<JsonNode> PageAsync(string query)
    {
        using var response = await Host.Http.GetAsync("/api/alarms?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    private async Task<List<JsonNode>> AlarmsAsync(string query) =>
        [.. (await PageAsync(query))["alarms"]!.AsArray().Select(alarm => alarm!)];

    /// <summary>Polls until the device's newest alarm satisfies <paramref name="condition"/>.</summary>
    private async Task<JsonNode> AlarmAsync(string deviceId, Func<JsonNode, bool> condition, string what)
    {
        JsonNode? found = null;
        await Poll.UntilAsync(
            async () =>
            {
                found = (await AlarmsAsync($"deviceId={deviceId}")).FirstOrDefault(condition);
                return found is not null;
            },
            what,
            TimeSpan.FromSeconds(15));
        return found!;
    }

    private async Task<List<JsonNode>> AuditAsync(string query)
    {
        using var response = await Host.Http.GetAsync("/api/audit?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await ReadJsonAsync(response))["entries"]!.AsArray().Select(entry => entry!)];
    }
}
