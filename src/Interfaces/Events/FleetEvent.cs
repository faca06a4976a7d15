using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Fleet.Alarms;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Events;

/// <summary>The event types of the live event feed (SSE <c>event:</c> names and <c>types=</c> filter values).</summary>
public static class FleetEventTypes
{
    /// <summary>A twin changed: reported, desired, faults, provisioned or decommissioned. Carries the twin.</summary>
    public const string TwinChanged = "twinChanged";

    public const string AlarmOpened = "alarmOpened";
    public const string AlarmAcknowledged = "alarmAcknowledged";
    public const string AlarmCleared = "alarmCleared";

    /// <summary>A device command changed state (queued, sent, acknowledged, succeeded, failed, …).</summary>
    public const string CommandChanged = "commandChanged";

    /// <summary>A device connected or disconnected. Carries the connectivity.</summary>
    public const string Connectivity = "connectivity";

    public static IReadOnlyList<string> All { get; } =
        [TwinChanged, AlarmOpened, AlarmAcknowledged, AlarmCleared, CommandChanged, Connectivity];

    public static bool IsKnown(string? type) => type is not null && All.Contains(type, StringComparer.Ordinal);
}

/// <summary>
/// One event of the live feed. What it carries depends on <see cref="Type"/>: the twin for
/// twinChanged, the alarm for alarm*, the connectivity for connectivity, the command for commandChanged.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.FleetEvent")]
public sealed record FleetEvent
{
    /// <summary>One of <see cref="FleetEventTypes"/>.</summary>
    [Id(0)] public string Type { get; init; } = string.Empty;
    [Id(1)] public DeviceKind Kind { get; init; }
    [Id(2)] public string DeviceId { get; init; } = string.Empty;
    [Id(3)] public string Borough { get; init; } = string.Empty;
    [Id(4)] public DateTimeOffset At { get; init; }

    /// <summary>twinChanged: the twin after the change.</summary>
    [Id(5)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TwinDocument? Twin { get; init; }

    /// <summary>twinChanged: what changed — reported, desired, connectivity, faults, provisioned, decommissioned.</summary>
    [Id(6)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ImmutableArray<string> Changed { get; init; }

    /// <summary>alarmOpened, alarmAcknowledged, alarmCleared: the alarm after the change.</summary>
    [Id(7)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Alarm? Alarm { get; init; }

    /// <summary>connectivity: whether the device is online now, and since when.</summary>
    [Id(8)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Connectivity? Connectivity { get; init; }

    /// <summary>commandChanged: the command and its new state.</summary>
    [Id(9)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CommandStateChange? Command { get; init; }
}

/// <summary>A device command's new state, for commandChanged events (published by the command engine).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.CommandStateChange")]
public sealed record CommandStateChange
{
    [Id(0)] public string CommandId { get; init; } = string.Empty;

    /// <summary>The command's name from the catalogue, e.g. dim, blink, reboot.</summary>
    [Id(1)] public string Name { get; init; } = string.Empty;

    /// <summary>The new state, e.g. queued, sent, acknowledged, succeeded, failed, expired, cancelled.</summary>
    [Id(2)] public string State { get; init; } = string.Empty;

    [Id(3)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; init; }
}

/// <summary>
/// Where the live events flow in Orleans: one memory stream per device kind and borough (28
/// streams) of the stream provider <see cref="ProviderName"/>, so no single stream, queue or grain
/// carries the whole fleet. A .NET city system (with Microsoft.Orleans.Streaming and
/// <c>AddMemoryStreams(FleetEventStreams.ProviderName)</c>) subscribes to the streams it cares about:
/// <code>
/// var provider = client.GetStreamProvider(FleetEventStreams.ProviderName);
/// foreach (var key in FleetEventStreams.Keys(DeviceKind.Lamp, null))
///     await provider.GetStream&lt;FleetEvent&gt;(StreamId.Create(FleetEventStreams.Namespace, key)).SubscribeAsync((e, _) => …);
/// </code>
/// </summary>
public static class FleetEventStreams
{
    /// <summary>The stream provider's name, on silos and clients.</summary>
    public const string ProviderName = "fleet-events";

    /// <summary>The stream namespace of the event streams.</summary>
    public const string Namespace = "fleet-events";

    /// <summary>The key of the stream of one kind in one borough, e.g. "lamp/Mitte".</summary>
    public static string Key(DeviceKind kind, string borough) => kind.ToWire() + "/" + borough;

    /// <summary>The keys of every stream that can carry events of <paramref name="kind"/> in <paramref name="borough"/> (null: all).</summary>
    public static IReadOnlyList<string> Keys(DeviceKind? kind, string? borough)
    {
        IReadOnlyList<DeviceKind> kinds = kind is { } one ? [one] : DeviceKinds.All;
        IReadOnlyList<string> boroughs = borough is null ? Boroughs.All : [borough];
        return [.. kinds.SelectMany(k => boroughs.Select(b => Key(k, b)))];
    }
}
