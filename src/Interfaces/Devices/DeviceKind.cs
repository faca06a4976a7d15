namespace Fleet.Devices;

/// <summary>The four kinds of device Fleet keeps twins for.</summary>
public enum DeviceKind
{
    Lamp,
    Parking,
    Wifi,
    Meter,
}

/// <summary>The wire names of the kinds, as they appear in URLs, topics and JSON.</summary>
public static class DeviceKinds
{
    public const string Lamp = "lamp";
    public const string Parking = "parking";
    public const string Wifi = "wifi";
    public const string Meter = "meter";

    public static IReadOnlyList<DeviceKind> All { get; } = [DeviceKind.Lamp, DeviceKind.Parking, DeviceKind.Wifi, DeviceKind.Meter];

    public static string ToWire(this DeviceKind kind) => kind switch
    {
        DeviceKind.Lamp => Lamp,
        DeviceKind.Parking => Parking,
        DeviceKind.Wifi => Wifi,
        DeviceKind.Meter => Meter,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
    };

    /// <summary>Parses a wire name; exact lower-case match only, so URLs and topics have one spelling.</summary>
    public static bool TryParse(string? text, out DeviceKind kind)
    {
        switch (text)
        {
            case Lamp: kind = DeviceKind.Lamp; return true;
            case Parking: kind = DeviceKind.Parking; return true;
            case Wifi: kind = DeviceKind.Wifi; return true;
            case Meter: kind = DeviceKind.Meter; return true;
            default: kind = default; return false;
        }
    }

    public static string Describe() => $"one of {Lamp}, {Parking}, {Wifi}, {Meter}";
}
