using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Alarms;

/// <summary>How urgent an alarm is; fixed per alarm type (docs/alarms.md).</summary>
public enum AlarmSeverity
{
    Critical,
    Major,
    Minor,
    Warning,
}

/// <summary>active → acknowledged (a maintenance user with a comment) → cleared (the twin's fault went away).</summary>
public enum AlarmState
{
    Active,
    Acknowledged,
    Cleared,
}

/// <summary>
/// One alarm: a fault of one device (or the device being offline too long) from when it was first
/// raised until it cleared. A fault that comes back within the hold window reopens the same alarm
/// and raises its <see cref="Count"/> instead of opening another.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.Alarm")]
public sealed record Alarm
{
    [Id(0)] public long Id { get; init; }
    [Id(1)] public DeviceKind Kind { get; init; }
    [Id(2)] public string DeviceId { get; init; } = string.Empty;
    [Id(3)] public string Borough { get; init; } = string.Empty;

    /// <summary>The fault code (see <see cref="FaultCodes"/>) or <see cref="AlarmTypes.Offline"/>.</summary>
    [Id(4)] public string Type { get; init; } = string.Empty;
    [Id(5)] public AlarmSeverity Severity { get; init; }
    [Id(6)] public AlarmState State { get; init; }
    [Id(7)] public string Detail { get; init; } = string.Empty;

    /// <summary>How often the fault was raised into this alarm (1, plus one per reopening within the hold window).</summary>
    [Id(8)] public int Count { get; init; } = 1;
    [Id(9)] public DateTimeOffset RaisedAt { get; init; }
    [Id(10)] public DateTimeOffset LastRaisedAt { get; init; }
    [Id(11)] public DateTimeOffset? ClearedAt { get; init; }
    [Id(12)] public DateTimeOffset? AcknowledgedAt { get; init; }

    /// <summary>Who acknowledged it: the API key's name (or the Orleans client's user).</summary>
    [Id(13)] public string? AcknowledgedBy { get; init; }
    [Id(14)] public string? Comment { get; init; }
    [Id(15)] public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Alarm types beside the fault codes.</summary>
public static class AlarmTypes
{
    /// <summary>The device has been offline longer than its kind's threshold.</summary>
    public const string Offline = "offline";

    /// <summary>Every alarm type: the fault codes and <see cref="Offline"/>.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        FaultCodes.Leak, FaultCodes.Backflow,
        FaultCodes.LampFailure, FaultCodes.ApDown, FaultCodes.BackhaulDown, FaultCodes.Tamper,
        FaultCodes.StuckOccupied, FaultCodes.PowerAnomaly, FaultCodes.RegisterWentBackwards,
        FaultCodes.SensorBatteryLow, FaultCodes.DayBurner,
        Offline,
    ];
}

/// <summary>The severity of each alarm type — the one table docs/alarms.md describes.</summary>
public static class AlarmSeverities
{
    private static readonly ImmutableDictionary<string, AlarmSeverity> ByFault = new Dictionary<string, AlarmSeverity>(StringComparer.Ordinal)
    {
        [FaultCodes.Leak] = AlarmSeverity.Critical,
        [FaultCodes.Backflow] = AlarmSeverity.Critical,
        [FaultCodes.LampFailure] = AlarmSeverity.Major,
        [FaultCodes.ApDown] = AlarmSeverity.Major,
        [FaultCodes.BackhaulDown] = AlarmSeverity.Major,
        [FaultCodes.Tamper] = AlarmSeverity.Major,
        [FaultCodes.StuckOccupied] = AlarmSeverity.Minor,
        [FaultCodes.PowerAnomaly] = AlarmSeverity.Minor,
        [FaultCodes.RegisterWentBackwards] = AlarmSeverity.Minor,
        [FaultCodes.SensorBatteryLow] = AlarmSeverity.Warning,
        [FaultCodes.DayBurner] = AlarmSeverity.Warning,
    }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>
    /// The severity of an alarm of <paramref name="type"/> on a device of <paramref name="kind"/>.
    /// An offline access point is major (people lose service); any other offline device is minor.
    /// A fault code Fleet does not know yet is minor.
    /// </summary>
    public static AlarmSeverity For(DeviceKind kind, string type) =>
        type == AlarmTypes.Offline
            ? kind == DeviceKind.Wifi ? AlarmSeverity.Major : AlarmSeverity.Minor
            : ByFault.GetValueOrDefault(type, AlarmSeverity.Minor);
}

/// <summary>A filter and page of alarms, newest first. Null filters match everything.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.AlarmQuery")]
public sealed record AlarmQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    [Id(0)] public AlarmState? State { get; init; }
    [Id(1)] public AlarmSeverity? Severity { get; init; }
    [Id(2)] public string? Borough { get; init; }
    [Id(3)] public DeviceKind? Kind { get; init; }
    [Id(4)] public string? DeviceId { get; init; }
    [Id(5)] public int Limit { get; init; } = DefaultLimit;

    /// <summary>The <see cref="AlarmPage.Next"/> of the previous page; null for the first.</summary>
    [Id(6)] public string? Cursor { get; init; }
}

[GenerateSerializer, Immutable, Alias("Fleet.AlarmPage")]
public sealed record AlarmPage
{
    [Id(0)] public ImmutableArray<Alarm> Alarms { get; init; } = [];

    /// <summary>Pass as the cursor to get the next page; null on the last page.</summary>
    [Id(1)]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Next { get; init; }
}

public enum AckOutcome
{
    Acknowledged,
    NotFound,
    /// <summary>The alarm cleared before it was acknowledged; there is nothing left to acknowledge.</summary>
    AlreadyCleared,
    /// <summary>Someone acknowledged it already; <see cref="AckResult.Alarm"/> says who.</summary>
    AlreadyAcknowledged,
    /// <summary>The comment is missing or too long.</summary>
    Invalid,
}

[GenerateSerializer, Immutable, Alias("Fleet.AckResult")]
public sealed record AckResult
{
    public const int MaxCommentLength = 1000;

    [Id(0)] public AckOutcome Outcome { get; init; }
    [Id(1)] public Alarm? Alarm { get; init; }
    [Id(2)] public string? Error { get; init; }
}
