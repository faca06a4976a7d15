using Fleet.Devices;

namespace Fleet.Twins;

/// <summary>
/// The fields of each kind's twin, named exactly as in the MQTT payloads and the twin JSON.
/// docs/twin.md describes them; this is the one place that defines them.
/// </summary>
public static class TwinSchema
{
    public const string Seq = "seq";
    public const string Boot = "boot";
    public const string Ts = "ts";

    private const FieldUse Reported = FieldUse.Reported;
    private const FieldUse Both = FieldUse.Reported | FieldUse.Desired;

    public static readonly string[] ParkingStates = ["free", "occupied", "closed", "unknown"];

    private static readonly Dictionary<DeviceKind, IReadOnlyDictionary<string, FieldSpec>> Fields = new()
    {
        [DeviceKind.Lamp] = Index(
            new FieldSpec("on", FieldType.Bool, Both),
            new FieldSpec("level", FieldType.Number, Both) { Min = 0, Max = 100, Unit = "%" },
            new FieldSpec("powerW", FieldType.Number, Reported) { Min = 0, Max = 5000, Unit = "W" },
            new FieldSpec("energyWh", FieldType.Number, Reported) { Min = 0, Max = 1e12, Unit = "Wh" },
            new FieldSpec("firmware", FieldType.Text, Reported)),
        [DeviceKind.Parking] = Index(
            new FieldSpec("state", FieldType.Word, Reported) { Words = ParkingStates },
            new FieldSpec("observedAt", FieldType.Timestamp, Reported),
            new FieldSpec("batteryPct", FieldType.Number, Reported) { Min = 0, Max = 100, Unit = "%" },
            new FieldSpec("rssi", FieldType.Number, Reported) { Min = -150, Max = 0, Unit = "dBm" },
            new FieldSpec("reserved", FieldType.Bool, Both),
            new FieldSpec("closed", FieldType.Bool, Both),
            new FieldSpec("firmware", FieldType.Text, Reported)),
        [DeviceKind.Wifi] = Index(
            new FieldSpec("up", FieldType.Bool, Reported),
            new FieldSpec("clients", FieldType.Integer, Reported) { Min = 0, Max = 10_000 },
            new FieldSpec("uptimeS", FieldType.Integer, Reported) { Min = 0, Max = 1e10, Unit = "s" },
            new FieldSpec("channel", FieldType.Integer, Both) { Min = 1, Max = 196 },
            new FieldSpec("backhaulUp", FieldType.Bool, Reported),
            new FieldSpec("enabled", FieldType.Bool, Both),
            new FieldSpec("ssids", FieldType.TextList, Both) { MaxLength = 32, MaxItems = 8 },
            new FieldSpec("firmware", FieldType.Text, Reported)),
        [DeviceKind.Meter] = Index(
            new FieldSpec("register", FieldType.Number, Reported) { Min = 0, Max = 1e12 },
            new FieldSpec("consumption", FieldType.Number, FieldUse.Derived) { Min = 0 },
            new FieldSpec("leak", FieldType.Bool, Reported),
            new FieldSpec("tamper", FieldType.Bool, Reported),
            new FieldSpec("backflow", FieldType.Bool, Reported),
            new FieldSpec("batteryPct", FieldType.Number, Reported) { Min = 0, Max = 100, Unit = "%" },
            new FieldSpec("valveOpen", FieldType.Bool, Both),
            new FieldSpec("reportingIntervalS", FieldType.Integer, Both) { Min = 60, Max = 86_400, Unit = "s" },
            new FieldSpec("firmware", FieldType.Text, Reported)),
    };

    public static IReadOnlyDictionary<string, FieldSpec> For(DeviceKind kind) => Fields[kind];

    public static FieldSpec? Find(DeviceKind kind, string name) =>
        Fields[kind].TryGetValue(name, out var spec) ? spec : null;

    private static Dictionary<string, FieldSpec> Index(params FieldSpec[] specs) =>
        specs.ToDictionary(spec => spec.Name, StringComparer.Ordinal);
}
