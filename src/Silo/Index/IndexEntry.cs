using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Grains.Twins;
using Fleet.Twins;

namespace Fleet.Silo.Index;

/// <summary>A device as the index names it.</summary>
internal readonly record struct DeviceKey(DeviceKind Kind, string Id);

/// <summary>One register step of a meter, at the time of the report that carried it, and where the meter is and what it measures.</summary>
internal readonly record struct ConsumptionPoint(DateTimeOffset At, double Amount, string Borough, string Medium)
{
    /// <summary>The minute the figures count the step in: its report time, truncated.</summary>
    public DateTimeOffset Minute => new(At.UtcTicks - (At.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
}

/// <summary>
/// What the index keeps of one twin: one row of fleet_devices. Projected the same way from a live
/// change (<see cref="TwinDocument"/>) and from a stored twin (<see cref="TwinState"/>), so a
/// rebuild writes exactly what the live path would have.
/// </summary>
internal sealed record IndexEntry
{
    /// <summary>
    /// Raised whenever the projection changes (a column added or computed differently): a silo
    /// that finds an index of another format rebuilds it at start.
    /// </summary>
    public const int Format = 1;

    public required DeviceKind Kind { get; init; }
    public required string Id { get; init; }
    public required string Borough { get; init; }
    public double Lat { get; init; }
    public double Lon { get; init; }
    public bool Online { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public ImmutableArray<string> Faults { get; init; } = [];
    public string? Street { get; init; }
    public string? Zone { get; init; }
    public string? Model { get; init; }
    public bool? LampOn { get; init; }
    public double? LampLevel { get; init; }
    public double? LampPowerW { get; init; }
    public string? ParkingState { get; init; }
    public bool? WifiUp { get; init; }
    public int? WifiClients { get; init; }
    public string? MeterMedium { get; init; }
    public double? MeterRegister { get; init; }
    public double? MeterConsumption { get; init; }
    public long Version { get; init; }

    public DeviceKey Key => new(Kind, Id);

    /// <summary>What q= searches: the id, street, zone and model, lower-case.</summary>
    public string Search => string.Join(' ', new[] { Id, Street, Zone, Model }.Where(part => !string.IsNullOrEmpty(part))).ToLowerInvariant();

    public static IndexEntry From(TwinDocument twin)
    {
        ArgumentNullException.ThrowIfNull(twin);
        return From(twin.Kind, twin.Id, twin.Metadata, twin.Reported, twin.Connectivity, twin.Faults, twin.Version);
    }

    public static IndexEntry From(DeviceKind kind, string id, TwinState state, bool online)
    {
        ArgumentNullException.ThrowIfNull(state);
        return From(kind, id, state.Metadata, state.Reported, state.Connectivity with { Online = online }, state.Faults, state.Version);
    }

    private static IndexEntry From(
        DeviceKind kind,
        string id,
        DeviceMetadata metadata,
        IReadOnlyDictionary<string, TwinValue> reported,
        Connectivity connectivity,
        IEnumerable<Fault> faults,
        long version)
    {
        bool? Bool(string field) => reported.TryGetValue(field, out var value) && value.Type == TwinValueType.Bool ? value.Bool : null;
        double? Number(string field) => reported.TryGetValue(field, out var value) && value.Type == TwinValueType.Number ? value.Number : null;
        string? Text(string field) => reported.TryGetValue(field, out var value) && value.Type == TwinValueType.Text ? value.Text : null;

        return new IndexEntry
        {
            Kind = kind,
            Id = id,
            Borough = metadata.Borough,
            Lat = metadata.Lat,
            Lon = metadata.Lon,
            Online = connectivity.Online,
            LastSeen = connectivity.LastSeen,
            Faults = [.. faults.Select(fault => fault.Code).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Street = metadata.Street,
            Zone = metadata.Zone,
            Model = metadata.Model,
            LampOn = kind == DeviceKind.Lamp ? Bool("on") : null,
            LampLevel = kind == DeviceKind.Lamp ? Number("level") : null,
            LampPowerW = kind == DeviceKind.Lamp ? Number("powerW") : null,
            ParkingState = kind == DeviceKind.Parking ? Text("state") : null,
            WifiUp = kind == DeviceKind.Wifi ? Bool("up") : null,
            WifiClients = kind == DeviceKind.Wifi && Number("clients") is { } clients ? (int)clients : null,
            MeterMedium = kind == DeviceKind.Meter ? metadata.Medium : null,
            MeterRegister = kind == DeviceKind.Meter ? Number("register") : null,
            MeterConsumption = kind == DeviceKind.Meter ? Number("consumption") : null,
            Version = version,
        };
    }

    /// <summary>The indexed reported values under their twin field names.</summary>
    public ImmutableDictionary<string, TwinValue> Values()
    {
        var values = ImmutableDictionary.CreateBuilder<string, TwinValue>(StringComparer.Ordinal);
        void Add(string field, TwinValue? value)
        {
            if (value is not null)
            {
                values[field] = value;
            }
        }

        Add("on", LampOn is { } on ? TwinValue.Of(on) : null);
        Add("level", LampLevel is { } level ? TwinValue.Of(level) : null);
        Add("powerW", LampPowerW is { } power ? TwinValue.Of(power) : null);
        Add("state", ParkingState is { } state ? TwinValue.Of(state) : null);
        Add("up", WifiUp is { } up ? TwinValue.Of(up) : null);
        Add("clients", WifiClients is { } clients ? TwinValue.Of(clients) : null);
        Add("register", MeterRegister is { } register ? TwinValue.Of(register) : null);
        Add("consumption", MeterConsumption is { } consumption ? TwinValue.Of(consumption) : null);
        return values.ToImmutable();
    }
}

/// <summary>
/// One device's change for the index: its newest entry, or (Entry null) its removal at Version;
/// and the meter consumption reported since the last write.
/// </summary>
internal sealed record IndexChange(DeviceKey Key, long Version, IndexEntry? Entry, IReadOnlyList<ConsumptionPoint> Consumption)
{
    public static IndexChange Upsert(IndexEntry entry, IReadOnlyList<ConsumptionPoint>? consumption = null) =>
        new(entry.Key, entry.Version, entry, consumption ?? []);

    public static IndexChange Remove(DeviceKey key, long version) => new(key, version, null, []);
}
