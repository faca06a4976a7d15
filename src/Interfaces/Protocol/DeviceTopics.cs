using Fleet.Devices;

namespace Fleet.Protocol;

/// <summary>What a topic under a device's prefix carries.</summary>
public enum TopicChannel
{
    /// <summary>Uplink: periodic measurements.</summary>
    Telemetry,
    /// <summary>Uplink: a partial reported state (firmware, applied configuration).</summary>
    Reported,
    /// <summary>Uplink: the outcome of a command (…/commands/{commandId}/result).</summary>
    CommandResult,
    /// <summary>Downlink: the full desired document.</summary>
    Desired,
    /// <summary>Downlink: one command (…/commands/{commandId}).</summary>
    Command,
    /// <summary>Downlink: why an uplink message was rejected.</summary>
    Errors,
}

/// <summary>A parsed device topic: whose it is and what it carries.</summary>
public readonly record struct DeviceTopic(DeviceKind Kind, string Id, TopicChannel Channel, string? CommandId = null)
{
    public bool IsUplink => Channel is TopicChannel.Telemetry or TopicChannel.Reported or TopicChannel.CommandResult;

    public override string ToString() => DeviceTopics.Of(Kind, Id, Channel, CommandId);
}

/// <summary>
/// The MQTT topic scheme, the one place that spells it: <c>fleet/{kind}/{id}/{channel}</c>, with
/// <c>telemetry</c>, <c>reported</c> and <c>commands/{commandId}/result</c> going up and
/// <c>desired</c>, <c>commands/{commandId}</c> and <c>errors</c> coming down. docs/protocol.md
/// describes the payloads.
/// </summary>
public static class DeviceTopics
{
    public const string Root = "fleet";
    public const string Telemetry = "telemetry";
    public const string Reported = "reported";
    public const string Commands = "commands";
    public const string Result = "result";
    public const string Desired = "desired";
    public const string Errors = "errors";

    /// <summary>The longest command id a topic may carry.</summary>
    public const int MaxCommandIdLength = 64;

    /// <summary><c>fleet/{kind}/{id}/</c>: everything a device may touch starts with it.</summary>
    public static string PrefixOf(DeviceKind kind, string id) => $"{Root}/{kind.ToWire()}/{id}/";

    public static string Of(DeviceKind kind, string id, TopicChannel channel, string? commandId = null) => channel switch
    {
        TopicChannel.Telemetry => PrefixOf(kind, id) + Telemetry,
        TopicChannel.Reported => PrefixOf(kind, id) + Reported,
        TopicChannel.Desired => PrefixOf(kind, id) + Desired,
        TopicChannel.Errors => PrefixOf(kind, id) + Errors,
        TopicChannel.Command => PrefixOf(kind, id) + Commands + "/" + RequireCommandId(commandId),
        TopicChannel.CommandResult => PrefixOf(kind, id) + Commands + "/" + RequireCommandId(commandId) + "/" + Result,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "Unknown topic channel."),
    };

    /// <summary>
    /// Reads the device a topic belongs to (<c>fleet/{kind}/{id}/…</c>) without judging the rest;
    /// false when the topic is not under any device's prefix.
    /// </summary>
    public static bool TryParseOwner(string? topic, out DeviceKind kind, out string id)
    {
        kind = default;
        id = string.Empty;
        if (string.IsNullOrEmpty(topic))
        {
            return false;
        }

        var levels = topic.Split('/');
        if (levels.Length < 4 || levels[0] != Root || !DeviceKinds.TryParse(levels[1], out kind) || !DeviceId.IsValid(levels[2]))
        {
            return false;
        }

        id = levels[2];
        return true;
    }

    /// <summary>Parses a complete device topic; false for anything outside the scheme.</summary>
    public static bool TryParse(string? topic, out DeviceTopic result)
    {
        result = default;
        if (!TryParseOwner(topic, out var kind, out var id))
        {
            return false;
        }

        var rest = topic!.Split('/').AsSpan(3);
        TopicChannel? channel = rest switch
        {
            [Telemetry] => TopicChannel.Telemetry,
            [Reported] => TopicChannel.Reported,
            [Desired] => TopicChannel.Desired,
            [Errors] => TopicChannel.Errors,
            [Commands, var command] when IsValidCommandId(command) => TopicChannel.Command,
            [Commands, var command, Result] when IsValidCommandId(command) => TopicChannel.CommandResult,
            _ => null,
        };
        if (channel is not { } found)
        {
            return false;
        }

        result = new DeviceTopic(kind, id, found, found is TopicChannel.Command or TopicChannel.CommandResult ? rest[1] : null);
        return true;
    }

    /// <summary>A command id is 1–64 characters of A–Z, a–z, 0–9, '.', '_', ':' or '-'.</summary>
    public static bool IsValidCommandId(string? commandId) =>
        commandId is { Length: > 0 and <= MaxCommandIdLength }
        && commandId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    private static string RequireCommandId(string? commandId) =>
        IsValidCommandId(commandId) ? commandId! : throw new ArgumentException("A command topic needs a valid command id.", nameof(commandId));
}
