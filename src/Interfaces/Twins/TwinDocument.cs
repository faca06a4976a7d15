using System.Collections.Immutable;
using Fleet.Devices;

namespace Fleet.Twins;

/// <summary>A device's digital twin as other systems see it (GET /api/devices/{kind}/{id}).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.TwinDocument")]
public sealed record TwinDocument
{
    [Id(0)] public DeviceKind Kind { get; init; }
    [Id(1)] public string Id { get; init; } = string.Empty;
    [Id(2)] public DeviceMetadata Metadata { get; init; } = new();
    [Id(3)] public ImmutableDictionary<string, TwinValue> Reported { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
    [Id(4)] public ImmutableDictionary<string, TwinValue> Desired { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
    [Id(5)] public ImmutableDictionary<string, TwinValue> Delta { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
    [Id(6)] public TwinTimestamps Timestamps { get; init; } = new();
    [Id(7)] public long Version { get; init; }
    [Id(8)] public Connectivity Connectivity { get; init; } = new();
    [Id(9)] public ImmutableArray<Fault> Faults { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("Fleet.TwinTimestamps")]
public sealed record TwinTimestamps
{
    [Id(0)] public ImmutableDictionary<string, DateTimeOffset> Reported { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;
    [Id(1)] public ImmutableDictionary<string, DateTimeOffset> Desired { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;
}

/// <summary>Whether the device is connected, when it was last heard of, and since when the state holds.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.Connectivity")]
public sealed record Connectivity
{
    [Id(0)] public bool Online { get; init; }
    [Id(1)] public DateTimeOffset? LastSeen { get; init; }
    [Id(2)] public DateTimeOffset? Since { get; init; }
}

/// <summary>An active fault, raised by the twin's domain rules.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.Fault")]
public sealed record Fault
{
    [Id(0)] public string Code { get; init; } = string.Empty;
    [Id(1)] public DateTimeOffset Since { get; init; }
    [Id(2)] public string Detail { get; init; } = string.Empty;
}

/// <summary>One point of a twin's bounded recent history (lamp power, meter consumption, AP clients, bay occupancy).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.HistoryPoint")]
public sealed record HistoryPoint([property: Id(0)] DateTimeOffset At, [property: Id(1)] double Value);

public static class FaultCodes
{
    public const string LampFailure = "lampFailure";
    public const string PowerAnomaly = "powerAnomaly";
    public const string DayBurner = "dayBurner";
    public const string SensorBatteryLow = "sensorBatteryLow";
    public const string StuckOccupied = "stuckOccupied";
    public const string ApDown = "apDown";
    public const string BackhaulDown = "backhaulDown";
    public const string Leak = "leak";
    public const string Tamper = "tamper";
    public const string Backflow = "backflow";
    public const string RegisterWentBackwards = "registerWentBackwards";
}
