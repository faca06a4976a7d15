using Fleet.Commands;
using Fleet.Devices;
using Fleet.Silo.Auth;
using Fleet.Twins;

namespace Fleet.Silo.Api;

/// <summary>GET /api/commands/catalogue: per device kind (wire name), the commands it understands.</summary>
public sealed record CatalogueView(IReadOnlyDictionary<string, IReadOnlyList<CatalogueCommand>> Kinds)
{
    /// <summary>The catalogue as it is, built once: it is compiled in and never changes while the silo runs.</summary>
    public static CatalogueView Current { get; } = new(DeviceKinds.All.ToDictionary(
        kind => kind.ToWire(),
        kind => (IReadOnlyList<CatalogueCommand>)[.. CommandCatalogue.For(kind).Values.Select(CatalogueCommand.Of)],
        StringComparer.Ordinal));
}

/// <summary>One command: what it does, who may send it, and its arguments (all required).</summary>
/// <param name="Name">The name to send in <c>POST …/commands</c>.</param>
/// <param name="Summary">What it does, in a sentence.</param>
/// <param name="Requires">The policy sending it needs, as named in <c>GET /api/me</c>'s <c>may</c>: maintain or operate.</param>
/// <param name="Roles">The roles that may send it.</param>
/// <param name="Args">Its arguments.</param>
public sealed record CatalogueCommand(string Name, string Summary, string Requires, IReadOnlyList<string> Roles, IReadOnlyList<CatalogueArgument> Args)
{
    internal static CatalogueCommand Of(CommandSpec spec)
    {
        var policy = FleetPolicies.ForCommand(spec.Name);
        return new(spec.Name, spec.Summary, FleetPolicies.ShortName(policy), FleetPolicies.Roles[policy], [.. spec.Args.Select(CatalogueArgument.Of)]);
    }
}

/// <summary>One argument: its JSON type and, where the type has them, its limits (null where none apply).</summary>
public sealed record CatalogueArgument(string Name, FieldType Type, double? Min, double? Max, int? MaxLength, IReadOnlyList<string>? Words, string? Unit)
{
    internal static CatalogueArgument Of(FieldSpec field)
    {
        var numeric = field.Type is FieldType.Number or FieldType.Integer;
        var textual = field.Type is FieldType.Text or FieldType.TextList;
        return new(
            field.Name,
            field.Type,
            numeric && field.Min > double.MinValue ? field.Min : null,
            numeric && field.Max < double.MaxValue ? field.Max : null,
            textual ? field.MaxLength : null,
            field.Type == FieldType.Word ? field.Words : null,
            field.Unit);
    }
}
