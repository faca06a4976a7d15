using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Alarms;
using Fleet.Devices;

namespace Fleet.Client.Commands;

/// <summary>fleet alarms list|ack.</summary>
internal static class AlarmsCommands
{
    public static Command Create(CliContext context)
    {
        var state = new Option<string?>("--state") { Description = "active, acknowledged or cleared" };
        var severity = new Option<string?>("--severity") { Description = "critical, major, minor or warning" };
        var borough = new Option<string?>("--borough") { Description = "a borough of Duisburg, e.g. Hamborn" };
        var kind = new Option<string?>("--kind") { Description = "lamp, parking, wifi or meter" };
        var device = new Option<string?>("--device") { Description = "one device's alarms" };
        var limit = new Option<int>("--limit") { Description = $"at most this many alarms (1–{AlarmQuery.MaxLimit})", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "print the page as JSON (with the cursor of the next page)" };
        var cursor = new Option<string?>("--cursor") { Description = "continue after a page (its next)" };

        var list = new Command("list", "List alarms, newest first.") { state, severity, borough, kind, device, limit, cursor, json };
        list.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var query = Query(result.GetValue(state), result.GetValue(severity), result.GetValue(borough), result.GetValue(kind), result.GetValue(device), result.GetValue(limit))
                with { Cursor = result.GetValue(cursor) };
            var page = await grains.GetGrain<IAlarmsGrain>(0).List(query);
            if (result.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(page, context.Json));
                return 0;
            }

            context.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-8} {1,-13} {2,-9} {3,-8} {4,-24} {5,-22} {6,-21} {7,5}  {8}", "ID", "STATE", "SEVERITY", "KIND", "DEVICE", "TYPE", "RAISED", "COUNT", "DETAIL"));
            foreach (var alarm in page.Alarms)
            {
                context.Out.WriteLine(string.Format(
                    CultureInfo.InvariantCulture,
                    "{0,-8} {1,-13} {2,-9} {3,-8} {4,-24} {5,-22} {6,-21:u} {7,5}  {8}",
                    alarm.Id,
                    Word(alarm.State),
                    Word(alarm.Severity),
                    alarm.Kind.ToWire(),
                    alarm.DeviceId,
                    alarm.Type,
                    alarm.RaisedAt,
                    alarm.Count,
                    alarm.Detail));
            }

            if (page.Next is { } next)
            {
                context.Out.WriteLine($"(more: --cursor {next})");
            }

            return 0;
        }, cancellationToken));

        var id = new Argument<long>("id") { Description = "the alarm id" };
        var comment = new Option<string>("--comment") { Description = "what was found or done (required)", Required = true };
        var user = new Option<string>("--user") { Description = "who acknowledges (recorded in the audit log)", DefaultValueFactory = _ => Environment.UserName };
        var ack = new Command("ack", "Acknowledge an active alarm.") { id, comment, user };
        ack.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var outcome = await grains.GetGrain<IAlarmsGrain>(0).Acknowledge(result.GetValue(id), result.GetValue(user)!, result.GetValue(comment)!);
            if (outcome.Outcome != AckOutcome.Acknowledged)
            {
                return context.Fail(outcome.Error!);
            }

            context.Out.WriteLine(JsonSerializer.Serialize(outcome.Alarm, context.Json));
            return 0;
        }, cancellationToken));

        return new Command("alarms", "Read and acknowledge alarms.") { list, ack };
    }

    internal static AlarmQuery Query(string? state, string? severity, string? borough, string? kind, string? device, int limit)
    {
        var query = new AlarmQuery { Limit = limit is >= 1 and <= AlarmQuery.MaxLimit ? limit : throw new CliException($"--limit must be between 1 and {AlarmQuery.MaxLimit}.") };
        if (state is not null)
        {
            query = query with { State = Parse<AlarmState>(state, "--state", "active, acknowledged or cleared") };
        }

        if (severity is not null)
        {
            query = query with { Severity = Parse<AlarmSeverity>(severity, "--severity", "critical, major, minor or warning") };
        }

        if (borough is not null)
        {
            query = query with { Borough = Boroughs.TryNormalize(borough, out var normalized) ? normalized : throw new CliException($"--borough must be {Boroughs.Describe()}.") };
        }

        if (kind is not null)
        {
            query = query with { Kind = DeviceKinds.TryParse(kind, out var parsed) ? parsed : throw new CliException($"--kind must be {DeviceKinds.Describe()}.") };
        }

        if (device is not null)
        {
            query = query with { DeviceId = DeviceId.Validate(device) is { } error ? throw new CliException(error) : device };
        }

        return query;
    }

    private static T Parse<T>(string text, string option, string allowed)
        where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !char.IsAsciiDigit(text[0])
            ? value
            : throw new CliException($"{option} must be {allowed}, not '{text}'.");

    private static string Word<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
