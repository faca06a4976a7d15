using System.CommandLine;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Devices;
using Fleet.Events;
using Orleans.Streams;

namespace Fleet.Client.Commands;

/// <summary>fleet events tail: live events through the Orleans event streams.</summary>
internal static class EventsCommands
{
    public static Command Create(CliContext context)
    {
        var kind = new Option<string?>("--kind") { Description = "lamp, parking, wifi or meter" };
        var borough = new Option<string?>("--borough") { Description = "a borough of Duisburg" };
        var device = new Option<string?>("--device") { Description = "one device's events" };
        var types = new Option<string?>("--types") { Description = "event types, comma-separated: " + string.Join(", ", FleetEventTypes.All) };
        var count = new Option<int?>("--count") { Description = "stop after this many events" };
        var timeout = new Option<TimeSpan?>("--timeout") { Description = "stop after this long, e.g. 00:00:30" };

        var tail = new Command("tail", "Print live events as they happen, one JSON object per line (Ctrl+C stops).") { kind, borough, device, types, count, timeout };
        tail.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var filter = Filter(result.GetValue(kind), result.GetValue(borough), result.GetValue(device), result.GetValue(types));
            var limit = result.GetValue(count);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (result.GetValue(timeout) is { } after)
            {
                stop.CancelAfter(after);
            }

            var events = Channel.CreateUnbounded<FleetEvent>();
            var provider = grains.GetStreamProvider(FleetEventStreams.ProviderName);
            var handles = new List<StreamSubscriptionHandle<FleetEvent>>();
            try
            {
                foreach (var key in FleetEventStreams.Keys(filter.Kind, filter.Borough))
                {
                    var stream = provider.GetStream<FleetEvent>(StreamId.Create(FleetEventStreams.Namespace, key));
                    handles.Add(await stream.SubscribeAsync((item, _) =>
                    {
                        if (filter.Matches(item))
                        {
                            events.Writer.TryWrite(item);
                        }

                        return Task.CompletedTask;
                    }));
                }

                var printed = 0;
                await foreach (var item in events.Reader.ReadAllAsync(stop.Token))
                {
                    context.Out.WriteLine(JsonSerializer.Serialize(item, FleetJson.Options));
                    context.Out.Flush();
                    if (++printed == limit)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Timeout or Ctrl+C: a normal end of tailing.
            }
            finally
            {
                foreach (var handle in handles)
                {
                    await handle.UnsubscribeAsync();
                }
            }

            return 0;
        }, cancellationToken));

        return new Command("events", "Follow the fleet's live events.") { tail };
    }

    internal static TailFilter Filter(string? kind, string? borough, string? device, string? types)
    {
        DeviceKind? parsedKind = null;
        if (kind is not null)
        {
            parsedKind = DeviceKinds.TryParse(kind, out var one) ? one : throw new CliException($"--kind must be {DeviceKinds.Describe()}.");
        }

        string? normalized = null;
        if (borough is not null && !Boroughs.TryNormalize(borough, out normalized))
        {
            throw new CliException($"--borough must be {Boroughs.Describe()}.");
        }

        if (device is not null && DeviceId.Validate(device) is { } error)
        {
            throw new CliException(error);
        }

        HashSet<string>? typeSet = null;
        if (types is not null)
        {
            typeSet = [.. types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            if (typeSet.FirstOrDefault(type => !FleetEventTypes.IsKnown(type)) is { } bad)
            {
                throw new CliException($"--types: '{bad}' is not an event type; use {string.Join(", ", FleetEventTypes.All)}.");
            }
        }

        return new TailFilter(parsedKind, normalized, device, typeSet);
    }

    internal sealed record TailFilter(DeviceKind? Kind, string? Borough, string? Device, HashSet<string>? Types)
    {
        public bool Matches(FleetEvent item) =>
            (Device is null || item.DeviceId == Device) && (Types is null || Types.Contains(item.Type));
    }
}
