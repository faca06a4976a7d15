using Fleet.Devices;
using Fleet.Grains.Commands;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

/// <summary>
/// What a twin grain stores. Bounded: one value and timestamp per schema field, the active faults,
/// and at most <see cref="TwinOptions.HistoryLength"/> history points.
/// </summary>
[GenerateSerializer, Alias("Fleet.TwinState")]
public sealed class TwinState
{
    [Id(0)] public bool Provisioned { get; set; }
    [Id(1)] public DeviceMetadata Metadata { get; set; } = new();
    /// <summary>SHA-256 of the device secret; the secret itself is never stored.</summary>
    [Id(2)] public byte[]? SecretHash { get; set; }
    [Id(3)] public Dictionary<string, TwinValue> Reported { get; set; } = new(StringComparer.Ordinal);
    [Id(4)] public Dictionary<string, DateTimeOffset> ReportedAt { get; set; } = new(StringComparer.Ordinal);
    // Null while nothing is desired, as for most meters and bays: two empty dictionaries are 160 B
    // per resident twin. Twins stored before were written with empty ones; they read as such.
    [Id(5)] public Dictionary<string, TwinValue>? Desired { get; set; }
    [Id(6)] public Dictionary<string, DateTimeOffset>? DesiredAt { get; set; }
    [Id(7)] public long Version { get; set; }
    /// <summary>The (Boot, Seq) of the last applied report; null before the first.</summary>
    [Id(8)] public long? Boot { get; set; }
    [Id(9)] public long Seq { get; set; }
    [Id(10)] public Connectivity Connectivity { get; set; } = new();
    /// <summary>The connection that holds the device now, and the gateway (silo) holding it.</summary>
    [Id(11)] public string? SessionId { get; set; }
    [Id(12)] public string? Gateway { get; set; }
    [Id(13)] public List<Fault> Faults { get; set; } = [];
    [Id(14)] public List<HistoryPoint> History { get; set; } = [];
    /// <summary>Consecutive telemetry reports with a lamp drawing far less than it should.</summary>
    [Id(15)] public int LowPowerStreak { get; set; }
    /// <summary>When a parking bay last became occupied.</summary>
    [Id(16)] public DateTimeOffset? OccupiedSince { get; set; }
    /// <summary>A meter's last register report was lower than the applied register.</summary>
    [Id(17)] public bool RegisterWentBackwards { get; set; }
    /// <summary>The command log, oldest first: every open command and the newest closed ones (Fleet:Commands limits).</summary>
    [Id(18)] public List<CommandEntry> Commands { get; set; } = [];
}
