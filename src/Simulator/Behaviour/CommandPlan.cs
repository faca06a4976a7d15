namespace Fleet.Simulator.Behaviour;

/// <summary>What the device does after a command took effect, besides answering it.</summary>
public enum CommandEffect
{
    /// <summary>Nothing to report (e.g. blink).</summary>
    None,
    /// <summary>Publish the changed state on <c>reported</c>.</summary>
    ReportState,
    /// <summary>Publish a telemetry message now (readNow).</summary>
    ReportTelemetry,
    /// <summary>Drop the connection and come back after the reboot time (an AP's reboot).</summary>
    Reboot,
}

/// <summary>
/// A command checked against the device's catalogue: either refused (with the reason) or ready to
/// apply. The device decides in between whether the simulated hardware fails.
/// </summary>
public sealed class CommandPlan
{
    private readonly Func<string>? _apply;

    private CommandPlan(string? rejection, Func<string>? apply, CommandEffect effect)
    {
        Rejection = rejection;
        _apply = apply;
        Effect = effect;
    }

    public string? Rejection { get; }

    public CommandEffect Effect { get; }

    public static CommandPlan Reject(string reason) => new(reason, null, CommandEffect.None);

    public static CommandPlan Do(Func<string> apply, CommandEffect effect = CommandEffect.ReportState) => new(null, apply, effect);

    public static CommandPlan Unknown(string kind, string name, string catalogue) =>
        Reject($"unknown command '{name}'; a {kind} knows {catalogue}");

    /// <summary>Applies the command to the model; returns the result's detail.</summary>
    public string Apply() => _apply is null ? throw new InvalidOperationException("A rejected command cannot be applied.") : _apply();
}
