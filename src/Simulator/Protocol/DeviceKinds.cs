namespace Fleet.Simulator.Protocol;

/// <summary>The device kinds of the protocol, spelt as in topics and user names.</summary>
public static class DeviceKinds
{
    public const string Lamp = "lamp";
    public const string Parking = "parking";
    public const string Wifi = "wifi";
    public const string Meter = "meter";

    public static IReadOnlyList<string> All { get; } = [Lamp, Parking, Wifi, Meter];

    public static bool TryNormalize(string? text, out string kind)
    {
        kind = string.Empty;
        foreach (var candidate in All)
        {
            if (string.Equals(candidate, text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        return false;
    }
}
