namespace Fleet.Simulator.Protocol;

/// <summary>The MQTT topics of one device, as docs/protocol.md names them (issue 3).</summary>
public sealed class DeviceTopics
{
    private readonly string _commandsPrefix;

    public DeviceTopics(string kind, string id)
    {
        Prefix = $"fleet/{kind}/{id}/";
        Telemetry = Prefix + "telemetry";
        Reported = Prefix + "reported";
        Desired = Prefix + "desired";
        Errors = Prefix + "errors";
        _commandsPrefix = Prefix + "commands/";
        Commands = _commandsPrefix + "+";
    }

    public string Prefix { get; }

    /// <summary>Uplink: periodic measurements.</summary>
    public string Telemetry { get; }

    /// <summary>Uplink: a partial reported state (firmware, applied configuration).</summary>
    public string Reported { get; }

    /// <summary>Downlink: the full desired document.</summary>
    public string Desired { get; }

    /// <summary>Downlink: every uplink Fleet rejected.</summary>
    public string Errors { get; }

    /// <summary>Downlink subscription filter for commands (one level: the command id).</summary>
    public string Commands { get; }

    /// <summary>Uplink: the answer to one command.</summary>
    public string Result(string commandId) => _commandsPrefix + commandId + "/result";

    /// <summary>The command id when <paramref name="topic"/> is this device's <c>commands/{commandId}</c>.</summary>
    public bool TryParseCommand(string topic, out string commandId)
    {
        commandId = string.Empty;
        if (!topic.StartsWith(_commandsPrefix, StringComparison.Ordinal) || topic.Length == _commandsPrefix.Length)
        {
            return false;
        }

        var rest = topic[_commandsPrefix.Length..];
        if (rest.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }

        commandId = rest;
        return true;
    }
}
