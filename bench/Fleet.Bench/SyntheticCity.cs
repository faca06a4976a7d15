using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Bench;

/// <summary>
/// Devices for the in-process benchmarks: the demo fleet's mix of kinds (4 lamps, 1 bay, 4 meters
/// per 9 devices, an access point per 100), spread over Duisburg's boroughs with a street each, and
/// one realistic telemetry report per kind. Deterministic: device n is always the same device.
/// </summary>
internal static class SyntheticCity
{
    private static readonly string[] StreetStems =
    [
        "König", "Mülheimer", "Düsseldorfer", "Friedrich-Wilhelm", "Kaiser", "Wanheimer", "Sonnenwall", "Neudorfer",
        "Duissern", "Ruhrorter", "Hamborner", "Kaiser-Wilhelm", "Weseler", "Krefelder", "Moerser", "Essenberger",
        "Bürgermeister-Pütz", "Gelderner", "Aldenrader", "Holtener", "Friemersheimer", "Hochfelder", "Bismarck", "Lotharer",
        "Mercator", "Landfermann", "Claubergs", "Beekstraßen", "Steinsche", "Kremer", "Wacholder", "Emscher",
    ];

    private static readonly string[] StreetKinds = ["straße", "weg", "allee", "ring", "platz", "gasse", "damm", "ufer"];

    private static readonly string[] Models = ["Philips Luma gen2", "Schréder Ampera", "Nedap SENSIT 3", "Diehl Hydrus 2.0", "Kamstrup Multical 603", "Itron Intelis"];

    public static DeviceKind KindOf(int n) => (n % 100) == 99 ? DeviceKind.Wifi : (n % 9) switch
    {
        < 4 => DeviceKind.Lamp,
        4 => DeviceKind.Parking,
        _ => DeviceKind.Meter,
    };

    public static string IdOf(int n) => KindOf(n) switch
    {
        DeviceKind.Lamp => $"BX-L-{n:D7}",
        DeviceKind.Parking => $"BX-P-{n:D7}",
        DeviceKind.Wifi => $"BX-W-{n:D7}",
        _ => $"BX-M-{n:D7}",
    };

    public static string StreetOf(int n)
    {
        var stem = StreetStems[(int)((uint)(n * 7919) % StreetStems.Length)];
        var kind = StreetKinds[(int)((uint)(n * 104_729) % StreetKinds.Length)];
        return $"{stem} {kind} {1 + (n % 180)}".Replace(" straße", "straße", StringComparison.Ordinal);
    }

    public static DeviceMetadata MetadataOf(int n)
    {
        var random = new Random(n);
        var kind = KindOf(n);
        var borough = Boroughs.All[n % Boroughs.All.Count];
        return new DeviceMetadata
        {
            Borough = borough,
            Lat = 51.36 + (random.NextDouble() * 0.17),
            Lon = 6.68 + (random.NextDouble() * 0.16),
            Model = Models[n % Models.Length],
            Street = StreetOf(n),
            Zone = kind == DeviceKind.Parking ? $"{borough} P{1 + (n % 12)}" : null,
            RatedWatts = kind == DeviceKind.Lamp ? 40 + (n % 5 * 20) : null,
            Medium = kind == DeviceKind.Meter ? MeterMedia.All[n % MeterMedia.All.Count] : null,
        };
    }

    /// <summary>A telemetry report as the simulator sends one, with sequence number <paramref name="seq"/>.</summary>
    public static DeviceReport TelemetryOf(int n, long seq, DateTimeOffset at)
    {
        var random = new Random(n + (int)seq);
        var values = KindOf(n) switch
        {
            DeviceKind.Lamp => new Dictionary<string, TwinValue>
            {
                ["on"] = TwinValue.Of(true),
                ["level"] = TwinValue.Of(80.0),
                ["powerW"] = TwinValue.Of((40 + (n % 5 * 20)) * 0.8 * (0.99 + (random.NextDouble() * 0.02))),
                ["energyWh"] = TwinValue.Of(100_000 + seq),
            },
            DeviceKind.Parking => new Dictionary<string, TwinValue>
            {
                ["state"] = TwinValue.Of(random.NextDouble() < 0.5 ? "free" : "occupied"),
                ["batteryPct"] = TwinValue.Of(80.0),
                ["rssi"] = TwinValue.Of(-90.0),
            },
            DeviceKind.Wifi => new Dictionary<string, TwinValue>
            {
                ["up"] = TwinValue.Of(true),
                ["clients"] = TwinValue.Of(random.Next(0, 100)),
                ["uptimeS"] = TwinValue.Of(3600 + seq),
                ["backhaulUp"] = TwinValue.Of(true),
            },
            _ => new Dictionary<string, TwinValue>
            {
                ["register"] = TwinValue.Of(1000.0 + seq),
                ["leak"] = TwinValue.Of(false),
                ["tamper"] = TwinValue.Of(false),
                ["backflow"] = TwinValue.Of(false),
                ["batteryPct"] = TwinValue.Of(90.0),
            },
        };
        return new DeviceReport
        {
            Topic = ReportTopic.Telemetry,
            Seq = seq,
            Boot = 1,
            Timestamp = at,
            Values = values.ToImmutableDictionary(StringComparer.Ordinal),
        };
    }
}
