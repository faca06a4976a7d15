using Fleet.Commands;

namespace Fleet.Grains;

/// <summary>The answer to submitting or cancelling a command.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.CommandOutcome")]
public sealed record CommandOutcome
{
    [Id(0)] public TwinOutcome Outcome { get; init; }
    [Id(1)] public string? Error { get; init; }
    [Id(2)] public DeviceCommand? Command { get; init; }
    /// <summary>True when a submit named an id the twin already had: nothing new was queued.</summary>
    [Id(3)] public bool Repeated { get; init; }

    public static CommandOutcome Ok(DeviceCommand command, bool repeated = false) => new() { Outcome = TwinOutcome.Ok, Command = command, Repeated = repeated };

    public static CommandOutcome Fail(TwinOutcome outcome, string error, DeviceCommand? command = null) => new() { Outcome = outcome, Error = error, Command = command };
}

/// <summary>How a twin took a device's command result.</summary>
public enum CommandResultAnswer
{
    /// <summary>The result closed the command.</summary>
    Applied,
    /// <summary>The command was already closed (a repeated result); nothing changed.</summary>
    AlreadyClosed,
    /// <summary>The twin knows no command with this id.</summary>
    Unknown,
}
