using System.Collections.Immutable;
using System.Globalization;
using Fleet.Schedules;

namespace Fleet.Silo.Schedules;

/// <summary>One step as the request writes it: <c>{"at": "sunset-15", "level": 100}</c>.</summary>
public sealed record StepBody(string? At, double? Level);

/// <summary>
/// The body of PUT /api/schedules/{id}: <c>{"borough": "Mitte", "steps": [...]}</c> or
/// <c>{"ids": ["DU-L-000001", …], "steps": [...]}</c>.
/// </summary>
public sealed record ScheduleBody(string? Borough, ImmutableArray<string>? Ids, ImmutableArray<StepBody?>? Steps)
{
    /// <summary>The schedule, or the problem naming its field.</summary>
    public ScheduleSpec? ToSpec(out ScheduleError? error)
    {
        var steps = ImmutableArray.CreateBuilder<ScheduleStep>();
        var given = Steps ?? [];
        for (var i = 0; i < given.Length; i++)
        {
            if (given[i] is not { } step)
            {
                error = new ScheduleError($"steps[{i}]", "A step is an object {\"at\": …, \"level\": …}.");
                return null;
            }

            if (step.Level is not { } level || level != Math.Floor(level) || level is < 0 or > 100)
            {
                error = new ScheduleError($"steps[{i}].level", "The level is a whole percentage from 0 (off) to 100.");
                return null;
            }

            steps.Add(new ScheduleStep { At = step.At ?? string.Empty, Level = (int)level });
        }

        var spec = new ScheduleSpec { Borough = Borough, Ids = Ids ?? [], Steps = steps.ToImmutable() }.Normalize();
        error = spec.Validate();
        return error is null ? spec : null;
    }

    /// <summary>For the audit log: <c>Mitte: sunset-15=100, 23:00=60</c>.</summary>
    public string Describe() =>
        (Borough ?? $"{Ids?.Length ?? 0} lamps") + ": "
        + string.Join(", ", (Steps ?? []).Select(step => string.Create(CultureInfo.InvariantCulture, $"{step?.At}={step?.Level}")));
}
