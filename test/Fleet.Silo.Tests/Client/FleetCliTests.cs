using System.Text.Json.Nodes;
using Fleet.Client;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Client;

[Collection(HostCollection.Name)]
public sealed class FleetCliTests(HostFixture fixture)
{
    private Task<(int Exit, string Out, string Error)> RunAsync(params string[] args) => CliRunner.RunAsync(fixture.Host, args);

    [Fact]
    public async Task TwinGetPrintsTheTwinAsJson()
    {
        var (id, _) = await ProvisionLampAsync(fixture.Http);

        var (exit, output, _) = await RunAsync("twin", "get", "lamp", id);

        Assert.Equal(0, exit);
        var twin = JsonNode.Parse(output)!;
        Assert.Equal(id, twin["id"]!.GetValue<string>());
        Assert.Equal("lamp", twin["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwinDesireChangesDesiredState()
    {
        var (id, _) = await ProvisionLampAsync(fixture.Http);

        var (exit, _, _) = await RunAsync("twin", "desire", "lamp", id, "level=40", "on=true");

        Assert.Equal(0, exit);
        using var response = await fixture.Http.GetAsync($"/api/devices/lamp/{id}");
        var desired = (await ReadJsonAsync(response))["desired"]!;
        Assert.Equal(40, desired["level"]!.GetValue<double>());
        Assert.True(desired["on"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("twin", "desire", "lamp", "DU-L-CLI-NONE", "level=400")]
    [InlineData("twin", "get", "streetlight", "DU-L-000001")]
    [InlineData("twin", "get", "lamp", "../x")]
    public async Task ErrorsAreMessagesWithANonZeroExit(params string[] args)
    {
        var (exit, _, error) = await RunAsync(args);

        Assert.Equal(1, exit);
        Assert.StartsWith("fleet: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableGatewayIsReported()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await FleetCli.RunAsync(["twin", "get", "lamp", "DU-L-000001", "--gateway", $"127.0.0.1:{FleetHost.FreePort()}"], output, error);

        Assert.Equal(2, exit);
        Assert.Contains("cannot reach", error.ToString(), StringComparison.Ordinal);
    }
}
