using System.Text.Json.Nodes;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Silo.Auth;
using Fleet.Silo.Tests.Hosting;
using Fleet.Twins;

namespace Fleet.Silo.Tests.Commands;

/// <summary>GET /api/commands/catalogue says what <see cref="CommandCatalogue"/> says: every kind, command and argument, and who may send each.</summary>
[Collection(HostCollection.Name)]
public sealed class CommandCatalogueApiTests(HostFixture fixture)
{
    [Fact]
    public async Task TheCatalogueListsEveryCommandOfEveryKindWithItsArgumentsAndRoles()
    {
        var crew = await fixture.Host.ClientWithRoleAsync(FleetRoles.Maintenance);
        var kinds = JsonNode.Parse(await crew.GetStringAsync("/api/commands/catalogue"))!["kinds"]!.AsObject();

        Assert.Equal(DeviceKinds.All.Select(kind => kind.ToWire()).Order(), kinds.Select(pair => pair.Key).Order());
        foreach (var kind in DeviceKinds.All)
        {
            var commands = kinds[kind.ToWire()]!.AsArray();
            var specs = CommandCatalogue.For(kind).Values.ToList();
            Assert.Equal(specs.Select(spec => spec.Name).Order(), commands.Select(command => command!["name"]!.GetValue<string>()).Order());
            foreach (var spec in specs)
            {
                var command = commands.Single(command => command!["name"]!.GetValue<string>() == spec.Name)!;
                Assert.Equal(spec.Summary, command["summary"]!.GetValue<string>());
                var policy = spec.MaintenanceMay ? FleetPolicies.Maintain : FleetPolicies.Operate;
                Assert.Equal(FleetPolicies.Roles[policy], command["roles"]!.AsArray().Select(role => role!.GetValue<string>()));
                Assert.Equal(spec.Args.Select(arg => arg.Name), command["args"]!.AsArray().Select(arg => arg!["name"]!.GetValue<string>()));
                foreach (var (field, arg) in spec.Args.Zip(command["args"]!.AsArray()))
                {
                    Assert.Equal(JsonName(field.Type), arg!["type"]!.GetValue<string>());
                    AssertLimit(field.Type is FieldType.Number or FieldType.Integer ? field.Min : null, arg["min"]);
                    AssertLimit(field.Type is FieldType.Number or FieldType.Integer ? field.Max : null, arg["max"]);
                    AssertLimit(field.Type == FieldType.Text ? field.MaxLength : null, arg["maxLength"]);
                }
            }
        }
    }

    [Fact]
    public async Task ACrewMayBlinkAndEverythingElseNeedsAnOperator()
    {
        var kinds = JsonNode.Parse(await fixture.Http.GetStringAsync("/api/commands/catalogue"))!["kinds"]!;

        var lamp = kinds["lamp"]!.AsArray();
        var blink = lamp.Single(command => command!["name"]!.GetValue<string>() == "blink")!;
        Assert.Equal("maintain", blink["requires"]!.GetValue<string>());
        Assert.Equal(["maintenance", "operator", "admin"], blink["roles"]!.AsArray().Select(role => role!.GetValue<string>()));
        Assert.Equal("""[{"name":"seconds","type":"integer","min":1,"max":600,"maxLength":null,"words":null,"unit":null}]""", blink["args"]!.ToJsonString());

        var others = kinds.AsObject().SelectMany(pair => pair.Value!.AsArray()).Where(command => command!["name"]!.GetValue<string>() != "blink").ToList();
        Assert.Equal(13, others.Count);
        Assert.All(others, command => Assert.Equal("operate", command!["requires"]!.GetValue<string>()));
        Assert.All(others, command => Assert.Equal(["operator", "admin"], command!["roles"]!.AsArray().Select(role => role!.GetValue<string>())));
    }

    private static string JsonName(FieldType type) => type switch
    {
        FieldType.Bool => "bool",
        FieldType.Number => "number",
        FieldType.Integer => "integer",
        FieldType.Text => "text",
        FieldType.Timestamp => "timestamp",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "No catalogue argument has this type yet."),
    };

    private static void AssertLimit(double? expected, JsonNode? actual) =>
        Assert.Equal(expected, actual?.GetValue<double>());
}
