using System.Collections.Immutable;

namespace Fleet.Twins;

public enum ReportTopic
{
    /// <summary>Periodic measurements (fleet/{kind}/{id}/telemetry).</summary>
    Telemetry,
    /// <summary>A partial reported state such as firmware or applied configuration (fleet/{kind}/{id}/reported).</summary>
    Reported,
}

/// <summary>
/// One message from a device. Reports are ordered by (Boot, Seq): a device that keeps its counter
/// across restarts sends Boot 0 forever; one that cannot, increments Boot (or sends its boot time
/// in Unix seconds) and starts Seq again at 0. A report whose (Boot, Seq) is not greater than the
/// last applied one is acknowledged but not applied.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceReport")]
public sealed record DeviceReport
{
    [Id(0)] public ReportTopic Topic { get; init; }
    [Id(1)] public long Seq { get; init; }
    [Id(2)] public long Boot { get; init; }
    [Id(3)] public DateTimeOffset? Timestamp { get; init; }
    [Id(4)] public ImmutableDictionary<string, TwinValue> Values { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
}

public enum ReportOutcome
{
    Applied,
    /// <summary>Repeated or older sequence number: acknowledged, not applied.</summary>
    Duplicate,
    /// <summary>Invalid: nothing applied; Error names the field.</summary>
    Rejected,
    /// <summary>No such device (never provisioned, or decommissioned).</summary>
    UnknownDevice,
}

/// <summary>What the twin did with a report.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.ReportResult")]
public sealed record ReportResult
{
    [Id(0)] public ReportOutcome Outcome { get; init; }
    [Id(1)] public string? Error { get; init; }
    /// <summary>Fields the twin does not know or that only Fleet may set; they were ignored.</summary>
    [Id(2)] public ImmutableArray<string> IgnoredFields { get; init; } = [];
    [Id(3)] public long Version { get; init; }

    public static ReportResult Rejected(string error) => new() { Outcome = ReportOutcome.Rejected, Error = error };
}
