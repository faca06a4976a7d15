using System.Collections.Immutable;
using Fleet.Devices;

namespace Fleet.Schedules;

/// <summary>One step of a day plan: at <see cref="At"/> every day, the schedule's lamps go to <see cref="Level"/> (0 = off).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.ScheduleStep")]
public sealed record ScheduleStep
{
    [Id(0)] public string At { get; init; } = string.Empty;

    /// <summary>0–100 percent; 0 switches the lamps off.</summary>
    [Id(1)] public int Level { get; init; }
}

/// <summary>A problem with a schedule, naming the field, e.g. <c>steps[1].at</c>.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.ScheduleError")]
public sealed record ScheduleError([property: Id(0)] string Field, [property: Id(1)] string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// A lighting schedule (PUT /api/schedules/{id}, docs/schedules.md): the lamps of one borough or an
/// explicit group, and a day plan of steps that each start a bulk job setting their desired level.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.ScheduleSpec")]
public sealed record ScheduleSpec
{
    public const int MaxSteps = 24;

    /// <summary>Schedules keep their ids in their state, so an explicit group stays small; larger groups are boroughs.</summary>
    public const int MaxIds = 1_000;

    public const int MaxIdLength = 64;

    public const string IdRule = "a schedule id is 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit";

    /// <summary>Every lamp of this borough; or null when <see cref="Ids"/> names the lamps.</summary>
    [Id(0)] public string? Borough { get; init; }

    /// <summary>Exactly these lamps; empty when <see cref="Borough"/> is given.</summary>
    [Id(1)] public ImmutableArray<string> Ids { get; init; } = [];

    [Id(2)] public ImmutableArray<ScheduleStep> Steps { get; init; } = [];

    /// <summary>Returns null when the schedule id is usable, else a sentence saying why not.</summary>
    public static string? ValidateId(string? id) =>
        string.IsNullOrEmpty(id) || id.Length > MaxIdLength || !char.IsAsciiLetterOrDigit(id[0])
            || id.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            ? $"'{id}' is not a schedule id; {IdRule}."
            : null;

    /// <summary>
    /// Returns the first problem, naming its field, or null when the schedule can run. The borough is
    /// normalised by <see cref="Normalize"/>, which callers apply first.
    /// </summary>
    public ScheduleError? Validate()
    {
        var hasIds = !Ids.IsDefaultOrEmpty;
        if ((Borough is null) == !hasIds)
        {
            return new("borough", "A schedule needs exactly one of 'borough' and 'ids'.");
        }

        if (Borough is not null && !Boroughs.TryNormalize(Borough, out _))
        {
            return new("borough", $"'{Borough}' is not a borough of Duisburg; it must be {Boroughs.Describe()}.");
        }

        if (hasIds)
        {
            if (Ids.Length > MaxIds)
            {
                return new("ids", $"A schedule may name at most {MaxIds} lamps; schedule a borough instead.");
            }

            for (var i = 0; i < Ids.Length; i++)
            {
                if (DeviceId.Validate(Ids[i]) is { } error)
                {
                    return new($"ids[{i}]", error);
                }
            }
        }

        if (Steps.IsDefaultOrEmpty)
        {
            return new("steps", "A schedule needs at least one step.");
        }

        if (Steps.Length > MaxSteps)
        {
            return new("steps", $"A schedule has at most {MaxSteps} steps a day.");
        }

        var seen = new HashSet<StepTime>();
        for (var i = 0; i < Steps.Length; i++)
        {
            if (!StepTime.TryParse(Steps[i].At, out var time, out var error))
            {
                return new($"steps[{i}].at", error!);
            }

            if (!seen.Add(time))
            {
                return new($"steps[{i}].at", $"'{time}' is already the time of another step.");
            }

            if (Steps[i].Level is < 0 or > 100)
            {
                return new($"steps[{i}].level", $"The level is a percentage from 0 (off) to 100, not {Steps[i].Level}.");
            }
        }

        return null;
    }

    /// <summary>The same schedule with the borough spelt as the city spells it and step times in canonical form.</summary>
    public ScheduleSpec Normalize() => this with
    {
        Borough = Borough is not null && Boroughs.TryNormalize(Borough, out var borough) ? borough : Borough,
        Ids = Ids.IsDefault ? [] : Ids,
        Steps = Steps.IsDefault
            ? []
            : [.. Steps.Select(step => StepTime.TryParse(step.At, out var time, out _) ? step with { At = time.ToString() } : step)],
    };
}
