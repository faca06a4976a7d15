using System.Collections.Immutable;
using System.Globalization;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Queries;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Hosting;
using Fleet.Twins;

namespace Fleet.Silo.Tests.Index;

/// <summary>
/// Devices for index tests, driven straight through their grains: ids share a random tag, so a
/// q= filter finds exactly one test's devices on a shared host.
/// </summary>
internal sealed class TestFleet(IGrainFactory grains)
{
    private readonly Dictionary<(DeviceKind Kind, string Id), long> _seq = [];

    /// <summary>Lower-case, so it is also what q= searches for.</summary>
    public string Tag { get; } = "ix" + Guid.NewGuid().ToString("N")[..10];

    public List<(DeviceKind Kind, string Id)> Devices { get; } = [];

    /// <summary>The grains of the running host; set it again after a restart.</summary>
    public IGrainFactory Grains { get; set; } = grains;

    public async Task<string> ProvisionAsync(DeviceKind kind, string borough, double lat = 51.43, double lon = 6.76, string? medium = null, string? street = null)
    {
        var id = $"DU-{Tag}-{kind.ToWire()}-{Devices.Count:D4}";
        var metadata = new DeviceMetadata
        {
            Borough = borough,
            Lat = lat,
            Lon = lon,
            Street = street,
            Model = "index test",
            RatedWatts = kind == DeviceKind.Lamp ? 60 : null,
            Medium = kind == DeviceKind.Meter ? medium ?? MeterMedia.Water : null,
        };
        var result = await Grains.GetTwin(kind, id).Provision(metadata);
        Assert.True(result.Outcome == TwinOutcome.Ok, result.Error);
        Devices.Add((kind, id));
        return id;
    }

    /// <summary>Sends a telemetry report with the device's next sequence number.</summary>
    public Task<ReportResult> ReportAsync(DeviceKind kind, string id, DateTimeOffset? ts, params (string Name, object Value)[] values)
    {
        long seq;
        lock (_seq)
        {
            seq = _seq[(kind, id)] = _seq.GetValueOrDefault((kind, id)) + 1;
        }

        return Grains.GetEndpoint(kind, id).Report(new DeviceReport
        {
            Topic = ReportTopic.Telemetry,
            Seq = seq,
            Timestamp = ts,
            Values = values.ToImmutableDictionary(value => value.Name, value => Value(value.Value), StringComparer.Ordinal),
        });
    }

    public Task ConnectAsync(DeviceKind kind, string id) =>
        Grains.GetEndpoint(kind, id).Connected(new DeviceConnection { SessionId = Guid.NewGuid().ToString("N"), Gateway = "index-test", At = DateTimeOffset.UtcNow });

    /// <summary>The twins as their grains tell them (null for decommissioned devices).</summary>
    public async Task<Dictionary<(DeviceKind Kind, string Id), TwinDocument?>> TwinsAsync()
    {
        var twins = await Task.WhenAll(Devices.Select(device => Grains.GetTwin(device.Kind, device.Id).GetTwin().AsTask()));
        return Devices.Zip(twins).ToDictionary(pair => pair.First, pair => pair.Second);
    }

    /// <summary>
    /// Devices of every kind with values, faults and meter consumption, one decommissioned, and
    /// each twin written to storage (see <see cref="WriteTwinsAsync"/>).
    /// </summary>
    public static async Task<TestFleet> CreateStoredAsync(IGrainFactory grains)
    {
        var fleet = new TestFleet(grains);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 12; i++)
        {
            var kind = DeviceKinds.All[i % 4];
            var id = await fleet.ProvisionAsync(kind, Boroughs.All[i % 3], medium: MeterMedia.Heat);
            await fleet.ConnectAsync(kind, id);
            switch (kind)
            {
                case DeviceKind.Lamp:
                    await fleet.ReportAsync(kind, id, null, ("on", true), ("level", 50), ("powerW", 1));
                    await fleet.ReportAsync(kind, id, null, ("powerW", 1));
                    break;
                case DeviceKind.Parking:
                    await fleet.ReportAsync(kind, id, null, ("state", "occupied"));
                    break;
                case DeviceKind.Wifi:
                    await fleet.ReportAsync(kind, id, null, ("up", true), ("clients", 9));
                    break;
                default:
                    await fleet.ReportAsync(kind, id, now.AddMinutes(-50), ("register", 10));
                    await fleet.ReportAsync(kind, id, now.AddMinutes(-40), ("register", 12.5));
                    await fleet.ReportAsync(kind, id, now.AddMinutes(-20), ("register", 13), ("leak", true));
                    break;
            }
        }

        await fleet.WriteTwinsAsync();
        var (goneKind, gone) = fleet.Devices[5];
        Assert.Equal(TwinOutcome.Ok, (await grains.GetTwin(goneKind, gone).Decommission()).Outcome);
        await fleet.UntilIndexedAsync();
        return fleet;
    }

    /// <summary>
    /// Has every twin written to storage now: a desired change writes the whole twin before it
    /// returns, so the stored twins need not wait for the coalesced telemetry write.
    /// </summary>
    public async Task WriteTwinsAsync()
    {
        foreach (var (kind, id) in Devices)
        {
            var (field, value) = kind switch
            {
                DeviceKind.Lamp => ("level", TwinValue.Of(40)),
                DeviceKind.Parking => ("reserved", TwinValue.Of(true)),
                DeviceKind.Wifi => ("channel", TwinValue.Of(6)),
                _ => ("reportingIntervalS", TwinValue.Of(900)),
            };
            var patch = new DesiredPatch { Changes = ImmutableDictionary<string, TwinValue?>.Empty.Add(field, value) };
            var result = await Grains.GetTwin(kind, id).MergeDesired(patch);
            Assert.True(result.Outcome is TwinOutcome.Ok or TwinOutcome.NotFound, result.Error);
        }
    }

    /// <summary>Every borough's figures as text, without the time they were computed at.</summary>
    public static async Task<string> FiguresAsync(IGrainFactory grains)
    {
        var boroughs = await grains.GetFleetQueries().GetBoroughs();
        return string.Join("\n", boroughs.Boroughs.Select(borough => Describe(borough with { At = default })));
    }

    /// <summary>This fleet's devices in the index, through the query grain.</summary>
    public async Task<Dictionary<(DeviceKind Kind, string Id), DeviceSummary>> IndexedAsync()
    {
        var rows = new Dictionary<(DeviceKind, string), DeviceSummary>();
        await foreach (var row in Grains.GetFleetQueries().QueryAllDevices(new DeviceQuery { Text = Tag, Limit = DeviceQuery.MaxLimit }))
        {
            rows[(row.Kind, row.Id)] = row;
        }

        return rows;
    }

    /// <summary>Waits until the index shows every twin exactly as it is (and nothing of decommissioned ones).</summary>
    public async Task UntilIndexedAsync(TimeSpan? timeout = null)
    {
        List<string> differences = [];
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    differences = Differences(await TwinsAsync(), await IndexedAsync());
                    return differences.Count == 0;
                },
                "the index to show the twins",
                timeout);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new InvalidOperationException("The index does not show the twins: " + string.Join("; ", differences.Take(10)), exception);
        }
    }

    /// <summary>What the index shows differently from the twins; empty when it shows them exactly.</summary>
    public static List<string> Differences(
        IReadOnlyDictionary<(DeviceKind Kind, string Id), TwinDocument?> twins,
        IReadOnlyDictionary<(DeviceKind Kind, string Id), DeviceSummary> rows)
    {
        var differences = new List<string>();
        foreach (var (key, twin) in twins)
        {
            var name = $"{key.Kind.ToWire()} {key.Id}";
            rows.TryGetValue(key, out var row);
            if (twin is null)
            {
                if (row is not null)
                {
                    differences.Add($"{name} is decommissioned but indexed at version {row.Version}");
                }

                continue;
            }

            if (row is null)
            {
                differences.Add($"{name} (version {twin.Version}) is not indexed");
                continue;
            }

            void Expect<T>(string what, T expected, T actual)
            {
                if (!EqualityComparer<T>.Default.Equals(expected, actual))
                {
                    differences.Add($"{name}: {what} is {actual} in the index, {expected} in the twin");
                }
            }

            Expect("version", twin.Version, row.Version);
            Expect("borough", twin.Metadata.Borough, row.Borough);
            Expect("position", (twin.Metadata.Lat, twin.Metadata.Lon), (row.Lat, row.Lon));
            Expect("online", twin.Connectivity.Online, row.Online);
            Expect("lastSeen", twin.Connectivity.LastSeen is { } seen ? FleetDatabase.ToMicroseconds(seen) : (DateTimeOffset?)null, row.LastSeen);
            Expect("faults", string.Join(",", twin.Faults.Select(fault => fault.Code).Order(StringComparer.Ordinal)), string.Join(",", row.Faults));
            foreach (var field in IndexedFields(key.Kind))
            {
                Expect(field, twin.Reported.GetValueOrDefault(field)?.ToString(), row.Values.GetValueOrDefault(field)?.ToString());
            }
        }

        return differences;
    }

    public static IEnumerable<string> IndexedFields(DeviceKind kind) => kind switch
    {
        DeviceKind.Lamp => ["on", "level", "powerW"],
        DeviceKind.Parking => ["state"],
        DeviceKind.Wifi => ["up", "clients"],
        _ => ["register", "consumption"],
    };

    /// <summary>
    /// The borough figures counted the slow way, from the twins and histories the grains hand out —
    /// what GET /api/boroughs must agree with.
    /// </summary>
    public static BoroughSummary BruteForce(string borough, DateTimeOffset at, IEnumerable<(TwinDocument Twin, ImmutableArray<HistoryPoint> History)> fleet)
    {
        var here = fleet.Where(device => device.Twin.Metadata.Borough == borough).ToList();
        List<TwinDocument> Of(DeviceKind kind) => [.. here.Where(device => device.Twin.Kind == kind).Select(device => device.Twin)];
        static ImmutableSortedDictionary<string, int> Faults(IEnumerable<TwinDocument> twins) => twins
            .SelectMany(twin => twin.Faults.Select(fault => fault.Code))
            .GroupBy(code => code)
            .ToImmutableSortedDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);
        static bool? Flag(TwinDocument twin, string field) => twin.Reported.TryGetValue(field, out var value) ? value.Bool : null;
        static double? Number(TwinDocument twin, string field) => twin.Reported.TryGetValue(field, out var value) ? value.Number : null;
        static string? Word(TwinDocument twin, string field) => twin.Reported.TryGetValue(field, out var value) ? value.Text : null;

        var lamps = Of(DeviceKind.Lamp);
        var bays = Of(DeviceKind.Parking);
        var aps = Of(DeviceKind.Wifi);
        var meters = Of(DeviceKind.Meter);
        var litLevels = lamps.Where(lamp => Flag(lamp, "on") == true && Number(lamp, "level") is not null).Select(lamp => Number(lamp, "level")!.Value).ToList();
        var history = here.Where(device => device.Twin.Kind == DeviceKind.Meter).ToList();
        double Consumed(string medium, TimeSpan window) => history
            .Where(device => device.Twin.Metadata.Medium == medium)
            .SelectMany(device => device.History)
            .Where(point => point.At > at - window && point.At <= at)
            .Sum(point => point.Value);

        return new BoroughSummary
        {
            Name = borough,
            At = at,
            Devices = here.Count,
            Online = here.Count(device => device.Twin.Connectivity.Online),
            Faults = Faults(here.Select(device => device.Twin)),
            Lamp = new LampFigures
            {
                Devices = lamps.Count,
                Online = lamps.Count(lamp => lamp.Connectivity.Online),
                Faults = Faults(lamps),
                Lit = lamps.Count(lamp => Flag(lamp, "on") == true),
                AverageLevel = litLevels.Count == 0 ? null : litLevels.Average(),
                PowerW = lamps.Sum(lamp => Number(lamp, "powerW") ?? 0),
            },
            Parking = new ParkingFigures
            {
                Devices = bays.Count,
                Online = bays.Count(bay => bay.Connectivity.Online),
                Faults = Faults(bays),
                Total = bays.Count,
                Free = bays.Count(bay => Word(bay, "state") == "free"),
                Occupied = bays.Count(bay => Word(bay, "state") == "occupied"),
                Closed = bays.Count(bay => Word(bay, "state") == "closed"),
                Unknown = bays.Count(bay => Word(bay, "state") is null or "unknown"),
            },
            Wifi = new WifiFigures
            {
                Devices = aps.Count,
                Online = aps.Count(ap => ap.Connectivity.Online),
                Faults = Faults(aps),
                Up = aps.Count(ap => Flag(ap, "up") == true),
                Clients = (int)aps.Sum(ap => Number(ap, "clients") ?? 0),
            },
            Meter = new MeterFigures
            {
                Devices = meters.Count,
                Online = meters.Count(meter => meter.Connectivity.Online),
                Faults = Faults(meters),
                Consumption = MeterMedia.All.ToImmutableSortedDictionary(
                    medium => medium,
                    medium => new MediumConsumption
                    {
                        Unit = MeterMedia.UnitOf(medium),
                        Meters = meters.Count(meter => meter.Metadata.Medium == medium),
                        LastHour = Consumed(medium, TimeSpan.FromHours(1)),
                        LastDay = Consumed(medium, TimeSpan.FromDays(1)),
                    },
                    StringComparer.Ordinal),
            },
        };
    }

    /// <summary>A summary as comparable text: records with dictionaries compare by reference.</summary>
    public static string Describe(BoroughSummary summary) => string.Join(
        " | ",
        $"{summary.Name}: devices {summary.Devices}, online {summary.Online}, faults {Describe(summary.Faults)}",
        $"lamp {summary.Lamp.Devices}/{summary.Lamp.Online} {Describe(summary.Lamp.Faults)} lit {summary.Lamp.Lit} level {summary.Lamp.AverageLevel?.ToString(CultureInfo.InvariantCulture) ?? "-"} power {summary.Lamp.PowerW.ToString(CultureInfo.InvariantCulture)}",
        $"parking {summary.Parking.Devices}/{summary.Parking.Online} {Describe(summary.Parking.Faults)} free {summary.Parking.Free} occupied {summary.Parking.Occupied} closed {summary.Parking.Closed} unknown {summary.Parking.Unknown}",
        $"wifi {summary.Wifi.Devices}/{summary.Wifi.Online} {Describe(summary.Wifi.Faults)} up {summary.Wifi.Up} clients {summary.Wifi.Clients}",
        $"meter {summary.Meter.Devices}/{summary.Meter.Online} {Describe(summary.Meter.Faults)} " + string.Join(
            " ",
            summary.Meter.Consumption.Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Key}:{pair.Value.Meters}:{pair.Value.LastHour}/{pair.Value.LastDay}{pair.Value.Unit}"))));

    private static string Describe(ImmutableSortedDictionary<string, int> faults) =>
        "{" + string.Join(",", faults.Select(pair => $"{pair.Key}={pair.Value}")) + "}";

    private static TwinValue Value(object value) => value switch
    {
        bool flag => TwinValue.Of(flag),
        string text => TwinValue.Of(text),
        IConvertible number => TwinValue.Of(number.ToDouble(CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException("Unsupported value.", nameof(value)),
    };
}
