using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Devices;
using Fleet.Queries;

namespace Fleet.Client.Commands;

/// <summary>fleet devices list, fleet boroughs: the fleet index through <see cref="IFleetQueryGrain"/>.</summary>
internal static class DevicesCommands
{
    public static Command Create(CliContext context)
    {
        var kind = new Option<string?>("--kind") { Description = DeviceKinds.Describe() };
        var borough = new Option<string?>("--borough") { Description = "a borough, e.g. Hamborn (Sued for Süd)" };
        var online = new Option<bool?>("--online") { Description = "true: only online devices; false: only offline ones" };
        var fault = new Option<string?>("--fault") { Description = "only devices with this active fault, e.g. lampFailure" };
        var text = new Option<string?>("--q") { Description = "text in the id, street, zone or model" };
        var bbox = new Option<string?>("--bbox") { Description = "minLon,minLat,maxLon,maxLat" };
        var sort = new Option<string>("--sort") { Description = DeviceSorts.Describe(), DefaultValueFactory = _ => DeviceSorts.Id };
        var limit = new Option<int>("--limit") { Description = $"devices per page, 1 to {DeviceQuery.MaxLimit}", DefaultValueFactory = _ => DeviceQuery.DefaultLimit };
        var cursor = new Option<string?>("--cursor") { Description = "continue after the page that printed this cursor" };
        var all = new Option<bool>("--all") { Description = "follow the cursor through every page" };
        var json = new Option<bool>("--json") { Description = "print the page(s) as JSON instead of a table" };

        var list = new Command("list", "List devices from the fleet index, e.g. fleet devices list --borough Hamborn --fault lampFailure.")
        {
            kind, borough, online, fault, text, bbox, sort, limit, cursor, all, json,
        };
        list.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var query = new DeviceQuery
            {
                Borough = result.GetValue(borough),
                Online = result.GetValue(online),
                Fault = result.GetValue(fault),
                Text = result.GetValue(text),
                Limit = result.GetValue(limit),
                Cursor = result.GetValue(cursor),
            };
            if (result.GetValue(kind) is { } kindText)
            {
                query = query with { Kind = DeviceKinds.TryParse(kindText, out var parsed) ? parsed : throw new CliException($"--kind '{kindText}' is not a device kind; it is {DeviceKinds.Describe()}.") };
            }

            if (result.GetValue(bbox) is { } bboxText)
            {
                query = query with { Area = BoundingBox.Parse(bboxText) ?? throw new CliException($"--bbox: {BoundingBox.Rule}.") };
            }

            var sortText = result.GetValue(sort);
            query = query with { Sort = DeviceSorts.TryParse(sortText, out var order) ? order : throw new CliException($"--sort '{sortText}' must be {DeviceSorts.Describe()}.") };

            var queries = grains.GetFleetQueries();
            var printed = 0;
            while (true)
            {
                var answer = await queries.QueryDevices(query);
                if (answer.Page is not { } page)
                {
                    return context.Fail($"--{answer.Problem!.Parameter}: {answer.Problem.Error}");
                }

                if (result.GetValue(json))
                {
                    context.Out.WriteLine(JsonSerializer.Serialize(page, context.Json));
                }
                else
                {
                    PrintTable(context.Out, page, header: printed == 0);
                }

                printed += page.Items.Length;
                if (page.Next is null || !result.GetValue(all))
                {
                    if (page.Next is not null && !result.GetValue(json))
                    {
                        context.Out.WriteLine($"more: --cursor {page.Next}");
                    }

                    return 0;
                }

                query = query with { Cursor = page.Next };
            }
        }, cancellationToken));

        return new Command("devices", "Ask the fleet index about many devices at once.") { list };
    }

    public static Command Boroughs(CliContext context)
    {
        var name = new Argument<string?>("name") { Description = "one borough, e.g. Mitte; all when left out", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("boroughs", "Per-borough figures: devices, online, faults, parking, lamps, meter consumption (as JSON).") { name };
        command.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var queries = grains.GetFleetQueries();
            if (result.GetValue(name) is { } one)
            {
                var summary = await queries.GetBorough(one);
                if (summary is null)
                {
                    return context.Fail($"'{one}' is not a borough of Duisburg; it is {Devices.Boroughs.Describe()}.");
                }

                context.Out.WriteLine(JsonSerializer.Serialize(summary, context.Json));
                return 0;
            }

            context.Out.WriteLine(JsonSerializer.Serialize(await queries.GetBoroughs(), context.Json));
            return 0;
        }, cancellationToken));
        return command;
    }

    private static void PrintTable(TextWriter output, DevicePage page, bool header)
    {
        if (header)
        {
            output.WriteLine($"{"KIND",-8}{"ID",-26}{"BOROUGH",-24}{"ONLINE",-8}{"LAST SEEN",-22}FAULTS");
        }

        foreach (var device in page.Items)
        {
            var lastSeen = device.LastSeen?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "never";
            output.WriteLine($"{device.Kind.ToWire(),-8}{device.Id,-26}{device.Borough,-24}{(device.Online ? "yes" : "no"),-8}{lastSeen,-22}{string.Join(",", device.Faults)}");
        }
    }
}
