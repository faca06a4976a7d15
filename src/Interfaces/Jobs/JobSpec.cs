using System.Collections.Immutable;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Jobs;

/// <summary>Which devices a bulk job targets: one kind, narrowed by boroughs or explicit ids, and optionally by a fault or connectivity.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobTarget")]
public sealed record JobTarget
{
    public const int MaxIds = 10_000;

    [Id(0)] public DeviceKind Kind { get; init; }

    /// <summary>Devices in any of these boroughs (empty: every borough, unless ids are given).</summary>
    [Id(1)] public ImmutableArray<string> Boroughs { get; init; } = [];

    /// <summary>Exactly these devices (of <see cref="Kind"/>); the other filters still apply.</summary>
    [Id(2)] public ImmutableArray<string> Ids { get; init; } = [];

    /// <summary>Only devices with this active fault.</summary>
    [Id(3)] public string? Fault { get; init; }

    /// <summary>Only devices online (true) or offline (false) when the job starts.</summary>
    [Id(4)] public bool? Online { get; init; }
}

/// <summary>
/// A bulk job: a command or a desired-state patch for every target, rolled out at a bounded rate,
/// stopped when too many fail (POST /api/jobs, docs/jobs.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobSpec")]
public sealed record JobSpec
{
    public const int DefaultRate = 50;
    public const int MaxRate = 500;

    [Id(0)] public JobTarget Target { get; init; } = new();

    /// <summary>The command each target gets (its Id is the job's; RequestedBy and JobId are set by the job).</summary>
    [Id(1)] public CommandRequest? Command { get; init; }

    /// <summary>Or: the desired-state merge patch each target gets (a null value removes the field).</summary>
    [Id(2)] public ImmutableDictionary<string, TwinValue?>? Desired { get; init; }

    /// <summary>Devices started per second.</summary>
    [Id(3)] public int RatePerSecond { get; init; } = DefaultRate;

    /// <summary>Stop rolling out when more than this share (percent) of the closed targets failed, rejected or expired; null: never.</summary>
    [Id(4)] public double? AbortFailurePercent { get; init; }

    /// <summary>Who started it: an API key's name, or a schedule.</summary>
    [Id(5)] public string RequestedBy { get; init; } = string.Empty;

    /// <summary>A label for people, e.g. "Rheinhausen to 60 % tonight".</summary>
    [Id(6)] public string? Name { get; init; }

    /// <summary>Returns null when the spec can run, else a sentence naming the problem.</summary>
    public string? Validate()
    {
        if ((Command is null) == (Desired is null))
        {
            return "A job needs exactly one of 'command' and 'desired'.";
        }

        if (Command is { } command && CommandCatalogue.ValidateShape(Target.Kind, command.Name, command.Args) is { } commandError)
        {
            return commandError;
        }

        if (Desired is { Count: 0 })
        {
            return "'desired' must change at least one field.";
        }

        if (RatePerSecond is < 1 or > MaxRate)
        {
            return $"'ratePerSecond' must be between 1 and {MaxRate}.";
        }

        if (AbortFailurePercent is < 0 or > 100)
        {
            return "'abortFailurePercent' must be between 0 and 100.";
        }

        if (Target.Ids.Length > JobTarget.MaxIds)
        {
            return $"A job may name at most {JobTarget.MaxIds} ids; select by borough instead.";
        }

        if (Target.Ids.FirstOrDefault(id => DeviceId.Validate(id) is not null) is { } bad)
        {
            return $"'{bad}': {DeviceId.Validate(bad)}";
        }

        foreach (var borough in Target.Boroughs)
        {
            if (!Fleet.Devices.Boroughs.TryNormalize(borough, out _))
            {
                return $"'{borough}' is not a borough of Duisburg.";
            }
        }

        return Target.Fault is { } fault && !Queries.DeviceQuery.KnownFaults.Contains(fault)
            ? $"'{fault}' is not a fault code; it must be one of {string.Join(", ", Queries.DeviceQuery.KnownFaults)}."
            : null;
    }
}
