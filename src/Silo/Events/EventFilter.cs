using System.Collections.Frozen;
using Fleet.Devices;
using Fleet.Events;

namespace Fleet.Silo.Events;

/// <summary>Which events an SSE client wants: each set that is given must contain the event's value.</summary>
internal sealed record EventFilter(
    FrozenSet<DeviceKind>? Kinds,
    FrozenSet<string>? Boroughs,
    FrozenSet<string>? Devices,
    FrozenSet<string>? Types)
{
    public static EventFilter All { get; } = new(null, null, null, null);

    public bool Matches(FleetEvent e) =>
        (Kinds is null || Kinds.Contains(e.Kind))
        && (Boroughs is null || Boroughs.Contains(e.Borough))
        && (Devices is null || Devices.Contains(e.DeviceId))
        && (Types is null || Types.Contains(e.Type));

    /// <summary>Parses the query values (each a comma-separated list); null and an error naming the parameter when one is wrong.</summary>
    public static EventFilter? Parse(string? kind, string? borough, string? device, string? types, out string? error)
    {
        error = null;
        FrozenSet<DeviceKind>? kinds = null;
        if (Items(kind) is { } kindItems)
        {
            var parsed = new List<DeviceKind>();
            foreach (var item in kindItems)
            {
                if (!DeviceKinds.TryParse(item, out var one))
                {
                    error = $"kind '{item}' is not a device kind; kind is {DeviceKinds.Describe()} (or a comma-separated list of them).";
                    return null;
                }

                parsed.Add(one);
            }

            kinds = parsed.ToFrozenSet();
        }

        FrozenSet<string>? boroughs = null;
        if (Items(borough) is { } boroughItems)
        {
            var parsed = new List<string>();
            foreach (var item in boroughItems)
            {
                if (!Fleet.Devices.Boroughs.TryNormalize(item, out var one))
                {
                    error = $"borough '{item}' is not a borough of Duisburg; it must be {Fleet.Devices.Boroughs.Describe()}.";
                    return null;
                }

                parsed.Add(one);
            }

            boroughs = parsed.ToFrozenSet(StringComparer.Ordinal);
        }

        FrozenSet<string>? devices = null;
        if (Items(device) is { } deviceItems)
        {
            if (deviceItems.FirstOrDefault(item => DeviceId.Validate(item) is not null) is { } bad)
            {
                error = $"device '{bad}' is not a device id; " + DeviceId.Rule + ".";
                return null;
            }

            devices = deviceItems.ToFrozenSet(StringComparer.Ordinal);
        }

        FrozenSet<string>? typeSet = null;
        if (Items(types) is { } typeItems)
        {
            if (typeItems.FirstOrDefault(item => !FleetEventTypes.IsKnown(item)) is { } bad)
            {
                error = $"types '{bad}' is not an event type; types is a comma-separated list of {string.Join(", ", FleetEventTypes.All)}.";
                return null;
            }

            typeSet = typeItems.ToFrozenSet(StringComparer.Ordinal);
        }

        return new EventFilter(kinds, boroughs, devices, typeSet);
    }

    private static string[]? Items(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
