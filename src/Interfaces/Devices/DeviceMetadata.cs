using System.Text.Json.Serialization;

namespace Fleet.Devices;

/// <summary>What the city knows about a device from its installation: where, what, when.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceMetadata")]
public sealed record DeviceMetadata
{
    [Id(0)] public string Borough { get; init; } = string.Empty;
    [Id(1)] public double Lat { get; init; }
    [Id(2)] public double Lon { get; init; }
    [Id(3)] public string? Model { get; init; }
    [Id(4)] public DateOnly? Installed { get; init; }
    [Id(5)] public string? Street { get; init; }
    [Id(6)] public string? Zone { get; init; }

    /// <summary>A lamp's rated power at 100 % (required for lamps).</summary>
    [Id(7)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RatedWatts { get; init; }

    /// <summary>A meter's medium: water, electricity, gas or heat (required for meters).</summary>
    [Id(8)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Medium { get; init; }
}

public static class MeterMedia
{
    public const string Water = "water";
    public const string Electricity = "electricity";
    public const string Gas = "gas";
    public const string Heat = "heat";

    public static IReadOnlyList<string> All { get; } = [Water, Electricity, Gas, Heat];

    /// <summary>The register's unit: m³ for water and gas, kWh for electricity and heat.</summary>
    public static string UnitOf(string medium) => medium is Water or Gas ? "m3" : "kWh";

    public static bool HasValve(string? medium) => medium is Water or Gas;
}

public static class MetadataRules
{
    /// <summary>Checks metadata for a device of this kind; returns the normalised metadata or an error naming the field.</summary>
    public static DeviceMetadata? Validate(DeviceKind kind, DeviceMetadata? metadata, out string? error)
    {
        error = null;
        if (metadata is null)
        {
            error = "'metadata' is required";
            return null;
        }

        if (!Boroughs.TryNormalize(metadata.Borough, out var borough))
        {
            error = "'metadata.borough' must be " + Boroughs.Describe();
            return null;
        }

        if (!double.IsFinite(metadata.Lat) || metadata.Lat is < -90 or > 90)
        {
            error = "'metadata.lat' must be a latitude between -90 and 90";
            return null;
        }

        if (!double.IsFinite(metadata.Lon) || metadata.Lon is < -180 or > 180)
        {
            error = "'metadata.lon' must be a longitude between -180 and 180";
            return null;
        }

        if (TooLong(metadata.Model) || TooLong(metadata.Street) || TooLong(metadata.Zone))
        {
            error = "'metadata.model', 'metadata.street' and 'metadata.zone' must be at most 128 characters";
            return null;
        }

        if (kind == DeviceKind.Lamp && (metadata.RatedWatts is not { } watts || !double.IsFinite(watts) || watts is <= 0 or > 5000))
        {
            error = "'metadata.ratedWatts' is required for a lamp and must be above 0 and at most 5000";
            return null;
        }

        if (kind == DeviceKind.Meter && !MeterMedia.All.Contains(metadata.Medium))
        {
            error = "'metadata.medium' is required for a meter and must be one of " + string.Join(", ", MeterMedia.All);
            return null;
        }

        return metadata with
        {
            Borough = borough,
            RatedWatts = kind == DeviceKind.Lamp ? metadata.RatedWatts : null,
            Medium = kind == DeviceKind.Meter ? metadata.Medium : null,
        };
    }

    private static bool TooLong(string? text) => text is { Length: > 128 };
}
