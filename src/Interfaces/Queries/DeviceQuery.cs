using System.Globalization;
using System.Reflection;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Queries;

/// <summary>The orders a device list can come in; each is a total order, so cursors never skip or repeat a device.</summary>
public enum DeviceSort
{
    /// <summary>By id (then kind): "id".</summary>
    Id,
    /// <summary>Most recently heard of first, never-seen devices last: "-lastSeen".</summary>
    LastSeenDescending,
    /// <summary>By borough, then id: "borough".</summary>
    Borough,
}

public static class DeviceSorts
{
    public const string Id = "id";
    public const string LastSeenDescending = "-lastSeen";
    public const string Borough = "borough";

    public static string ToWire(this DeviceSort sort) => sort switch
    {
        DeviceSort.Id => Id,
        DeviceSort.LastSeenDescending => LastSeenDescending,
        DeviceSort.Borough => Borough,
        _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, "Unknown sort."),
    };

    public static bool TryParse(string? text, out DeviceSort sort)
    {
        switch (text)
        {
            case Id: sort = DeviceSort.Id; return true;
            case LastSeenDescending: sort = DeviceSort.LastSeenDescending; return true;
            case Borough: sort = DeviceSort.Borough; return true;
            default: sort = default; return false;
        }
    }

    public static string Describe() => $"one of {Id}, {LastSeenDescending}, {Borough}";
}

/// <summary>A rectangle of WGS 84 coordinates, written minLon,minLat,maxLon,maxLat (the GeoJSON bbox order).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.BoundingBox")]
public sealed record BoundingBox(
    [property: Id(0)] double MinLon,
    [property: Id(1)] double MinLat,
    [property: Id(2)] double MaxLon,
    [property: Id(3)] double MaxLat)
{
    public const string Rule = "bbox is minLon,minLat,maxLon,maxLat: four numbers, longitudes within -180..180, latitudes within -90..90, each minimum at most its maximum";

    /// <summary>Parses "minLon,minLat,maxLon,maxLat"; null when the text is not four numbers.</summary>
    public static BoundingBox? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4)
        {
            return null;
        }

        var numbers = new double[4];
        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return new BoundingBox(numbers[0], numbers[1], numbers[2], numbers[3]);
    }

    public bool IsValid =>
        double.IsFinite(MinLon) && double.IsFinite(MinLat) && double.IsFinite(MaxLon) && double.IsFinite(MaxLat)
        && MinLon is >= -180 and <= 180 && MaxLon is >= -180 and <= 180
        && MinLat is >= -90 and <= 90 && MaxLat is >= -90 and <= 90
        && MinLon <= MaxLon && MinLat <= MaxLat;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{MinLon},{MinLat},{MaxLon},{MaxLat}");
}

/// <summary>
/// A question to the fleet index (GET /api/devices, <see cref="IFleetQueryGrain.QueryDevices"/>).
/// Every filter that is set must hold; <see cref="Cursor"/> continues a previous page.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceQuery")]
public sealed record DeviceQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    public const int MaxTextLength = 64;

    [Id(0)] public DeviceKind? Kind { get; init; }

    /// <summary>A borough as <see cref="Boroughs.TryNormalize"/> accepts it.</summary>
    [Id(1)] public string? Borough { get; init; }

    [Id(2)] public bool? Online { get; init; }

    /// <summary>Devices with this active fault (a <see cref="FaultCodes"/> code).</summary>
    [Id(3)] public string? Fault { get; init; }

    /// <summary>Free text ("q"): matches ids, streets, zones and models containing it, ignoring case.</summary>
    [Id(4)] public string? Text { get; init; }

    [Id(5)] public BoundingBox? Area { get; init; }

    [Id(6)] public DeviceSort Sort { get; init; }

    [Id(7)] public int Limit { get; init; } = DefaultLimit;

    /// <summary>The <see cref="DevicePage.Next"/> of the previous page, with the same sort.</summary>
    [Id(8)] public string? Cursor { get; init; }

    /// <summary>
    /// Checks the query and normalises the borough. Returns the problem (naming the HTTP parameter)
    /// or null; the cursor's content is checked by the index itself.
    /// </summary>
    public QueryProblem? Validate(out DeviceQuery normalized)
    {
        normalized = this;
        if (Kind is { } kind && !Enum.IsDefined(kind))
        {
            return new QueryProblem("kind", "kind must be " + DeviceKinds.Describe() + ".");
        }

        if (Borough is not null)
        {
            if (!Boroughs.TryNormalize(Borough, out var borough))
            {
                return new QueryProblem("borough", $"borough '{Borough}' is not a borough of Duisburg; it must be {Boroughs.Describe()}.");
            }

            normalized = normalized with { Borough = borough };
        }

        if (Fault is not null && !KnownFaults.Contains(Fault))
        {
            return new QueryProblem("fault", $"fault '{Fault}' is not a fault code; it must be one of {string.Join(", ", KnownFaults)}.");
        }

        if (Text is not null && (Text.Length == 0 || Text.Length > MaxTextLength))
        {
            return new QueryProblem("q", $"q must be 1 to {MaxTextLength} characters.");
        }

        if (Area is { IsValid: false })
        {
            return new QueryProblem("bbox", BoundingBox.Rule + ".");
        }

        if (!Enum.IsDefined(Sort))
        {
            return new QueryProblem("sort", "sort must be " + DeviceSorts.Describe() + ".");
        }

        if (Limit is < 1 or > MaxLimit)
        {
            return new QueryProblem("limit", $"limit must be between 1 and {MaxLimit}, not {Limit}.");
        }

        return null;
    }

    /// <summary>The fault codes twins raise (the constants of <see cref="FaultCodes"/>), sorted.</summary>
    public static IReadOnlyList<string> KnownFaults { get; } = typeof(FaultCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(field => field.IsLiteral && field.FieldType == typeof(string))
        .Select(field => (string)field.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)
        .ToArray();
}

/// <summary>What is wrong with a query: the parameter (as named in GET /api/devices) and why.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.QueryProblem")]
public sealed record QueryProblem([property: Id(0)] string Parameter, [property: Id(1)] string Error);
