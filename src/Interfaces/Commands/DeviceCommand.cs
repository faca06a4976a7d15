using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Commands;

/// <summary>Where a command is in its life. Queued and sent are open; the others are final.</summary>
public enum CommandState
{
    /// <summary>Accepted and stored; waiting for the device to be connected.</summary>
    Queued,
    /// <summary>Handed to the device's connection; waiting for its result.</summary>
    Sent,
    /// <summary>The device reports it carried the command out.</summary>
    Succeeded,
    /// <summary>The device tried and failed, or it never answered within the allowed attempts.</summary>
    Failed,
    /// <summary>The device refused the command (e.g. not possible in its current state).</summary>
    Rejected,
    /// <summary>Its time to live ran out before a result arrived.</summary>
    Expired,
    /// <summary>Cancelled by an operator before it was sent.</summary>
    Cancelled,
}

public static class CommandStates
{
    public static bool IsFinal(this CommandState state) => state is not (CommandState.Queued or CommandState.Sent);

    /// <summary>The wire name, e.g. "succeeded".</summary>
    public static string ToWire(this CommandState state) => state switch
    {
        CommandState.Queued => "queued",
        CommandState.Sent => "sent",
        CommandState.Succeeded => "succeeded",
        CommandState.Failed => "failed",
        CommandState.Rejected => "rejected",
        CommandState.Expired => "expired",
        _ => "cancelled",
    };
}

/// <summary>A request to run a catalogue command on one device.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.CommandRequest")]
public sealed record CommandRequest
{
    /// <summary>
    /// The command id; null lets the twin pick one. A request naming an id the twin already knows is
    /// a repeat and returns the existing command unchanged (jobs rely on this after a restart).
    /// </summary>
    [Id(0)] public string? Id { get; init; }
    [Id(1)] public string Name { get; init; } = string.Empty;
    [Id(2)] public ImmutableDictionary<string, TwinValue> Args { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
    /// <summary>How long the command may wait for a result; null = the default (10 minutes).</summary>
    [Id(3)] public TimeSpan? Ttl { get; init; }
    /// <summary>Who asked: an API key's name, a job, a schedule.</summary>
    [Id(4)] public string RequestedBy { get; init; } = string.Empty;
    /// <summary>The bulk job the command belongs to, if any.</summary>
    [Id(5)] public string? JobId { get; init; }
}

/// <summary>One state change of a command.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.CommandTransition")]
public sealed record CommandTransition
{
    [Id(0)] public CommandState State { get; init; }
    [Id(1)] public DateTimeOffset At { get; init; }

    [Id(2)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; init; }
}

/// <summary>What the device answered on its result topic.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.CommandResult")]
public sealed record CommandResult
{
    /// <summary>succeeded, failed or rejected.</summary>
    [Id(0)] public CommandState Status { get; init; }
    [Id(1)] public string? Detail { get; init; }
    [Id(2)] public DateTimeOffset At { get; init; }
}

/// <summary>A command as operators see it (GET /api/devices/{kind}/{id}/commands/{commandId}).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceCommand")]
public sealed record DeviceCommand
{
    [Id(0)] public string Id { get; init; } = string.Empty;
    [Id(1)] public DeviceKind Kind { get; init; }
    [Id(2)] public string DeviceId { get; init; } = string.Empty;
    [Id(3)] public string Name { get; init; } = string.Empty;
    [Id(4)] public ImmutableDictionary<string, TwinValue> Args { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
    [Id(5)] public CommandState State { get; init; }
    [Id(6)] public DateTimeOffset CreatedAt { get; init; }
    [Id(7)] public DateTimeOffset ExpiresAt { get; init; }
    [Id(8)] public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>How often it was handed to the device.</summary>
    [Id(9)] public int Attempts { get; init; }
    [Id(10)] public ImmutableArray<CommandTransition> Transitions { get; init; } = [];
    [Id(11)] public CommandResult? Result { get; init; }
    [Id(12)] public string RequestedBy { get; init; } = string.Empty;

    [Id(13)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? JobId { get; init; }
}
