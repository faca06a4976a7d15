using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Commands;

/// <summary>One command a kind of device understands, with the arguments it takes (all required).</summary>
public sealed record CommandSpec(string Name, string Summary, IReadOnlyList<FieldSpec> Args)
{
    /// <summary>Who may send it below the operator role (e.g. maintenance crews may make a lamp blink).</summary>
    public bool MaintenanceMay { get; init; }
}

/// <summary>
/// The documented catalogue of device commands (docs/commands.md). A command is checked against it
/// before it is accepted; an unknown name or a bad argument is refused and nothing is queued.
/// </summary>
public static class CommandCatalogue
{
    private const FieldUse Arg = FieldUse.Desired;

    private static readonly Dictionary<DeviceKind, IReadOnlyDictionary<string, CommandSpec>> Commands = new()
    {
        [DeviceKind.Lamp] = Index(
            new CommandSpec("switch", "Switch the lamp on or off.", [new FieldSpec("on", FieldType.Bool, Arg)]),
            new CommandSpec("dim", "Set the lamp's level in percent.", [new FieldSpec("level", FieldType.Number, Arg) { Min = 0, Max = 100 }]),
            new CommandSpec("blink", "Blink for a number of seconds so a crew can find the lamp.", [new FieldSpec("seconds", FieldType.Integer, Arg) { Min = 1, Max = 600 }]) { MaintenanceMay = true }),
        [DeviceKind.Parking] = Index(
            new CommandSpec("reserve", "Hold the bay until the given time.", [new FieldSpec("until", FieldType.Timestamp, Arg)]),
            new CommandSpec("release", "End a reservation.", []),
            new CommandSpec("close", "Close the bay (works, events).", []),
            new CommandSpec("open", "Open a closed bay.", [])),
        [DeviceKind.Wifi] = Index(
            new CommandSpec("reboot", "Restart the access point.", []),
            new CommandSpec("enableSsid", "Broadcast an SSID.", [new FieldSpec("ssid", FieldType.Text, Arg) { MaxLength = 32 }]),
            new CommandSpec("disableSsid", "Stop broadcasting an SSID.", [new FieldSpec("ssid", FieldType.Text, Arg) { MaxLength = 32 }]),
            new CommandSpec("setChannel", "Move the radio to a channel.", [new FieldSpec("channel", FieldType.Integer, Arg) { Min = 1, Max = 196 }])),
        [DeviceKind.Meter] = Index(
            new CommandSpec("readNow", "Report a reading at once.", []),
            new CommandSpec("valve", "Open or close the valve (water and gas meters only).", [new FieldSpec("open", FieldType.Bool, Arg)]),
            new CommandSpec("setInterval", "Change the reporting interval in seconds.", [new FieldSpec("seconds", FieldType.Integer, Arg) { Min = 60, Max = 86_400 }])),
    };

    public static IReadOnlyDictionary<string, CommandSpec> For(DeviceKind kind) => Commands[kind];

    public static CommandSpec? Find(DeviceKind kind, string? name) =>
        name is not null && Commands[kind].TryGetValue(name, out var spec) ? spec : null;

    /// <summary>Returns null when the command fits the catalogue and this device, otherwise a sentence naming the problem.</summary>
    public static string? Validate(DeviceKind kind, DeviceMetadata metadata, string? name, IReadOnlyDictionary<string, TwinValue> args)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (ValidateShape(kind, name, args) is { } error)
        {
            return error;
        }

        return name == "valve" && !MeterMedia.HasValve(metadata.Medium)
            ? $"'valve' applies only to water and gas meters; this meter measures {metadata.Medium}."
            : null;
    }

    /// <summary>The checks that hold for every device of the kind: the name and the arguments (a bulk job checks these before it starts).</summary>
    public static string? ValidateShape(DeviceKind kind, string? name, IReadOnlyDictionary<string, TwinValue> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var spec = Find(kind, name);
        if (spec is null)
        {
            return $"'{name}' is not a {kind.ToWire()} command; a {kind.ToWire()} understands {string.Join(", ", Commands[kind].Keys)}.";
        }

        foreach (var arg in spec.Args)
        {
            if (!args.TryGetValue(arg.Name, out var value))
            {
                return $"'{spec.Name}' needs the argument '{arg.Name}'.";
            }

            if (arg.Check(value) is { } error)
            {
                return error + ".";
            }
        }

        var unknown = args.Keys.FirstOrDefault(key => spec.Args.All(arg => arg.Name != key));
        return unknown is null ? null : $"'{spec.Name}' takes no argument '{unknown}'.";
    }

    private static Dictionary<string, CommandSpec> Index(params CommandSpec[] specs) =>
        specs.ToDictionary(spec => spec.Name, StringComparer.Ordinal);
}
