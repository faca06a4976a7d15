using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Schedules;

namespace Fleet.Client.Commands;

/// <summary>fleet schedule set|get|delete.</summary>
internal static class ScheduleCommands
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "the schedule's id, e.g. mitte-night" };
        var user = new Option<string?>("--user") { Description = "who changes it (default: your user name)" };

        var borough = new Option<string?>("--borough") { Description = "every lamp of this borough" };
        var ids = new Option<string[]>("--id") { Description = "or: exactly these lamps (repeat for more)" };
        var steps = new Option<string[]>("--step")
        {
            Description = "a step at=level: HH:mm (local time), sunset±min or sunrise±min, level 0–100 (0 = off); e.g. --step sunset-15=100 --step 23:00=60 --step sunrise+10=0",
            Required = true,
        };
        var set = new Command("set", "Create or replace a lighting schedule; it takes effect from its next step.") { id, borough, ids, steps, user };
        set.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var scheduleId = result.GetValue(id)!;
            if (ScheduleSpec.ValidateId(scheduleId) is { } idError)
            {
                return context.Fail(idError);
            }

            var spec = new ScheduleSpec
            {
                Borough = result.GetValue(borough),
                Ids = [.. result.GetValue(ids) ?? []],
                Steps = Steps(result.GetValue(steps) ?? []),
            }.Normalize();
            if (spec.Validate() is { } error)
            {
                return context.Fail(error.ToString());
            }

            var outcome = await grains.GetGrain<IScheduleGrain>(scheduleId).Set(spec, CliValues.User(result.GetValue(user)));
            if (outcome.Schedule is not { } schedule)
            {
                return context.Fail(outcome.Error!.ToString());
            }

            context.Out.WriteLine(JsonSerializer.Serialize(schedule, context.Json));
            return 0;
        }, cancellationToken));

        var optionalId = new Argument<string?>("id") { Description = "one schedule (as JSON); without it, a table of every schedule", Arity = ArgumentArity.ZeroOrOne };
        var get = new Command("get", "Show a schedule with its next step, or list every schedule.") { optionalId };
        get.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            if (result.GetValue(optionalId) is { } scheduleId)
            {
                if (ScheduleSpec.ValidateId(scheduleId) is { } idError)
                {
                    return context.Fail(idError);
                }

                if (await grains.GetGrain<IScheduleGrain>(scheduleId).Get() is not { } schedule)
                {
                    return context.Fail($"There is no schedule '{scheduleId}'.");
                }

                context.Out.WriteLine(JsonSerializer.Serialize(schedule, context.Json));
                return 0;
            }

            var all = await Task.WhenAll((await grains.GetGrain<IScheduleDirectoryGrain>(0).List()).Select(each => grains.GetGrain<IScheduleGrain>(each).Get()));
            context.Out.WriteLine(Row("ID", "TARGET", "NEXT", "LEVEL", "STEPS"));
            foreach (var schedule in all.OfType<ScheduleView>())
            {
                context.Out.WriteLine(Row(
                    schedule.Id,
                    schedule.Spec.Borough ?? $"{schedule.Spec.Ids.Length} lamps",
                    schedule.Next is { } next ? $"{next.At} {LocalTime(next.Time)}" : "-",
                    schedule.Next is { } level ? $"{level.Level} %" : "-",
                    string.Join(" ", schedule.Spec.Steps.Select(step => string.Create(CultureInfo.InvariantCulture, $"{step.At}={step.Level}")))));
            }

            return 0;
        }, cancellationToken));

        var delete = new Command("delete", "Remove a schedule; jobs it already started run on.") { id, user };
        delete.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var scheduleId = result.GetValue(id)!;
            if (ScheduleSpec.ValidateId(scheduleId) is { } idError)
            {
                return context.Fail(idError);
            }

            if (!await grains.GetGrain<IScheduleGrain>(scheduleId).Delete(CliValues.User(result.GetValue(user))))
            {
                return context.Fail($"There is no schedule '{scheduleId}'.");
            }

            context.Out.WriteLine($"Schedule '{scheduleId}' deleted.");
            return 0;
        }, cancellationToken));

        return new Command("schedule", "Set, show and delete lighting schedules.") { set, get, delete };
    }

    /// <summary>Reads at=level pairs; the level is the part after the last '='.</summary>
    internal static ImmutableArray<ScheduleStep> Steps(IEnumerable<string> steps) =>
    [
        .. steps.Select(step =>
        {
            var separator = step.LastIndexOf('=');
            return separator > 0 && int.TryParse(step.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var level)
                ? new ScheduleStep { At = step[..separator], Level = level }
                : throw new CliException($"--step '{step}' is not at=level, e.g. sunset-15=100 or 23:00=60.");
        }),
    ];

    private static string Row(string id, string target, string next, string level, string steps) =>
        string.Format(CultureInfo.InvariantCulture, "{0,-24} {1,-22} {2,-30} {3,-6} {4}", id, target, next, level, steps);

    /// <summary>Duisburg's local time of an instant, as operators read it.</summary>
    private static string LocalTime(DateTimeOffset time)
    {
        try
        {
            return TimeZoneInfo.ConvertTime(time, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);
        }
        catch (TimeZoneNotFoundException)
        {
            return time.ToString("u", CultureInfo.InvariantCulture);
        }
    }
}
