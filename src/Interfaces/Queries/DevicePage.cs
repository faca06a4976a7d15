using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Queries;

/// <summary>
/// One device as the fleet index knows it: where it is, whether it is online, its active faults and
/// the reported values queries and aggregates use. The twin itself stays the source of truth
/// (GET /api/devices/{kind}/{id}); the index follows it within seconds.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceSummary")]
public sealed record DeviceSummary
{
    [Id(0)] public DeviceKind Kind { get; init; }
    [Id(1)] public string Id { get; init; } = string.Empty;
    [Id(2)] public string Borough { get; init; } = string.Empty;
    [Id(3)] public double Lat { get; init; }
    [Id(4)] public double Lon { get; init; }
    [Id(5)] public bool Online { get; init; }
    [Id(6)] public DateTimeOffset? LastSeen { get; init; }

    /// <summary>The codes of the active faults, sorted.</summary>
    [Id(7)] public ImmutableArray<string> Faults { get; init; } = [];

    /// <summary>
    /// The indexed reported values: lamp on/level/powerW, parking state, wifi up/clients, meter
    /// register/consumption — each only once the device has reported it.
    /// </summary>
    [Id(8)] public ImmutableDictionary<string, TwinValue> Values { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;

    /// <summary>A meter's medium (water, electricity, gas, heat).</summary>
    [Id(9)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Medium { get; init; }

    [Id(10)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Street { get; init; }

    [Id(11)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Zone { get; init; }

    [Id(12)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Model { get; init; }

    /// <summary>The twin version the entry shows.</summary>
    [Id(13)] public long Version { get; init; }

    /// <summary>When the index last wrote the entry.</summary>
    [Id(14)] public DateTimeOffset IndexedAt { get; init; }
}

/// <summary>A page of devices; <see cref="Next"/> is the cursor of the following page, or null on the last.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DevicePage")]
public sealed record DevicePage
{
    [Id(0)] public ImmutableArray<DeviceSummary> Items { get; init; } = [];
    [Id(1)] public string? Next { get; init; }
}

/// <summary>A page, or what is wrong with the query.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceQueryResult")]
public sealed record DeviceQueryResult
{
    [Id(0)] public DevicePage? Page { get; init; }
    [Id(1)] public QueryProblem? Problem { get; init; }

    public static DeviceQueryResult Of(DevicePage page) => new() { Page = page };

    public static DeviceQueryResult Invalid(QueryProblem problem) => new() { Problem = problem };
}
