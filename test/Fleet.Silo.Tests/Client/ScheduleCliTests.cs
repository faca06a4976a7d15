using System.Net;
using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;
using static Fleet.Silo.Tests.Client.CliRunner;

namespace Fleet.Silo.Tests.Client;

/// <summary>fleet schedule set|get|delete over the Orleans gateway; what it sets is what the HTTP API shows.</summary>
[Collection(HostCollection.Name)]
public sealed class ScheduleCliTests(HostFixture fixture)
{
    private static readonly string[] NightSteps = ["sunset-15", "23:00", "sunrise+10"];

    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task ScheduleSetGetListAndDelete()
    {
        var id = NewId("cli-night");

        var set = JsonNode.Parse(await RunOkAsync(Host, "schedule", "set", id, "--borough", "Rheinhausen", "--step", "sunset-15=100", "--step", "23:00=60", "--step", "sunrise+10=0", "--user", "anna"))!;

        Assert.Equal(1, set["version"]!.GetValue<long>());
        Assert.Equal("cli:anna", set["updatedBy"]!.GetValue<string>());
        Assert.Equal(NightSteps, set["spec"]!["steps"]!.AsArray().Select(step => step!["at"]!.GetValue<string>()));
        Assert.Contains(set["next"]!["at"]!.GetValue<string>(), NightSteps);
        Assert.True(set["next"]!["time"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(-1));

        var api = JsonNode.Parse(await Host.Http.GetStringAsync($"/api/schedules/{id}"))!;
        Assert.Equal(set["spec"]!.ToJsonString(), api["spec"]!.ToJsonString());
        Assert.Equal(set["next"]!.ToJsonString(), JsonNode.Parse(await RunOkAsync(Host, "schedule", "get", id))!["next"]!.ToJsonString());

        var table = await RunOkAsync(Host, "schedule", "get");
        var row = Assert.Single(table.Split('\n'), line => line.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("Rheinhausen", row, StringComparison.Ordinal);
        Assert.Contains("sunset-15=100 23:00=60 sunrise+10=0", row, StringComparison.Ordinal);

        var replaced = JsonNode.Parse(await RunOkAsync(Host, "schedule", "set", id, "--id", "DU-L-000001", "--id", "DU-L-000002", "--step", "06:30=0"))!;
        Assert.Equal(2, replaced["version"]!.GetValue<long>());
        Assert.Null(replaced["spec"]!["borough"]);
        Assert.Equal(2, replaced["spec"]!["ids"]!.AsArray().Count);

        await RunOkAsync(Host, "schedule", "delete", id);
        using var gone = await Host.Http.GetAsync($"/api/schedules/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains(id, await RunFailingAsync(Host, "schedule", "get", id), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("steps[1].at", "--borough", "Mitte", "--step", "sunset=100", "--step", "25:00=60")]
    [InlineData("steps[0].level", "--borough", "Mitte", "--step", "sunset=101")]
    [InlineData("--step", "--borough", "Mitte", "--step", "sunset")]
    [InlineData("borough", "--borough", "Atlantis", "--step", "sunset=100")]
    [InlineData("borough", "--step", "sunset=100")]
    public async Task ABadScheduleIsRefusedNamingTheField(string named, params string[] options)
    {
        var id = NewId("cli-bad");

        var error = await RunFailingAsync(Host, ["schedule", "set", id, .. options]);

        Assert.Contains(named, error, StringComparison.Ordinal);
        using var missing = await Host.Http.GetAsync($"/api/schedules/{id}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
