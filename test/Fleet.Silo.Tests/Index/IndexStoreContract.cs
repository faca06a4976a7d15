using Fleet.Devices;
using Fleet.Queries;
using Fleet.Silo.Index;
using Fleet.Silo.Storage;
using Fleet.Twins;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Silo.Tests.Index;

/// <summary>
/// What the index tables must do on every engine Fleet stores in — version guard, removals, every
/// filter, sort and cursor, the borough figures, sweep and purge. SQLite and PostgreSQL each run it
/// on a fresh database, so the one set of SQL statements is proven on both.
/// </summary>
public abstract class IndexStoreContract
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);

    protected abstract Task<FleetDatabase> DatabaseAsync();

    [Fact]
    public async Task NewerVersionsWinAndOlderOnesChangeNothing()
    {
        var (store, reader) = await OpenAsync();
        var failing = Lamp("DU-L-1", Boroughs.Hamborn, version: 2) with { Faults = [FaultCodes.LampFailure], Online = true };

        Assert.Equal(1, await ApplyAsync(store, IndexChange.Upsert(failing)));
        Assert.Equal(0, await ApplyAsync(store, IndexChange.Upsert(Lamp("DU-L-1", Boroughs.Mitte, version: 1))));

        var shown = Assert.Single(await ListAsync(reader, new DeviceQuery { Fault = FaultCodes.LampFailure }));
        Assert.Equal((2L, Boroughs.Hamborn, true), (shown.Version, shown.Borough, shown.Online));
        Assert.Equal([FaultCodes.LampFailure], shown.Faults.ToArray());

        Assert.Equal(1, await ApplyAsync(store, IndexChange.Upsert(Lamp("DU-L-1", Boroughs.Hamborn, version: 3))));
        Assert.Empty(await ListAsync(reader, new DeviceQuery { Fault = FaultCodes.LampFailure }));
        Assert.Equal(3, Assert.Single(await ListAsync(reader, new DeviceQuery())).Version);
    }

    [Fact]
    public async Task ARemovalKeepsLateOlderWritesOutUntilTheDeviceIsProvisionedAgain()
    {
        var (store, reader) = await OpenAsync();
        var meter = Meter("DU-M-1", Boroughs.Walsum, MeterMedia.Water, version: 5) with { Faults = [FaultCodes.Leak] };
        await ApplyAsync(store, Metered(meter, (-5, 1.5)));

        Assert.Equal(1, await ApplyAsync(store, IndexChange.Remove(meter.Key, 6)));
        Assert.Empty(await ListAsync(reader, new DeviceQuery()));
        Assert.Equal(0, await ApplyAsync(store, Metered(meter, (-5, 1.5)))); // a late write from another silo
        Assert.Empty(await ListAsync(reader, new DeviceQuery()));

        // The meter is gone with its fault; what it reported was consumed there all the same, once.
        var figures = (await reader.GetBoroughAsync(Boroughs.Walsum, CancellationToken.None))!;
        Assert.Equal((0, 0, 1.5), (figures.Meter.Devices, figures.Meter.Consumption[MeterMedia.Water].Meters, figures.Meter.Consumption[MeterMedia.Water].LastHour));
        Assert.Empty(figures.Faults);

        Assert.Equal(1, await ApplyAsync(store, IndexChange.Upsert(meter with { Version = 8, Faults = [] })));
        Assert.Equal(8, Assert.Single(await ListAsync(reader, new DeviceQuery())).Version);
    }

    [Fact]
    public async Task EachFilterSelectsExactlyTheMatchingDevices()
    {
        var (store, reader) = await OpenAsync();
        var fleet = Fleet();
        await ApplyAsync(store, [.. fleet.Select(entry => IndexChange.Upsert(entry))]);

        async Task Expect(DeviceQuery query, Func<IndexEntry, bool> matches)
        {
            var expected = fleet.Where(matches).Select(entry => entry.Id).Order(StringComparer.Ordinal).ToList();
            var actual = (await ListAsync(reader, query)).Select(item => item.Id).ToList();
            Assert.Equal(expected, actual);
        }

        await Expect(new DeviceQuery { Kind = DeviceKind.Lamp }, entry => entry.Kind == DeviceKind.Lamp);
        await Expect(new DeviceQuery { Borough = "hamborn" }, entry => entry.Borough == Boroughs.Hamborn);
        await Expect(new DeviceQuery { Borough = "Sued" }, entry => entry.Borough == Boroughs.Sued);
        await Expect(new DeviceQuery { Online = false }, entry => !entry.Online);
        await Expect(new DeviceQuery { Fault = FaultCodes.LampFailure }, entry => entry.Faults.Contains(FaultCodes.LampFailure));
        await Expect(
            new DeviceQuery { Kind = DeviceKind.Lamp, Borough = Boroughs.Hamborn, Fault = FaultCodes.LampFailure },
            entry => entry.Kind == DeviceKind.Lamp && entry.Borough == Boroughs.Hamborn && entry.Faults.Contains(FaultCodes.LampFailure));
        await Expect(new DeviceQuery { Text = "KAISER" }, entry => entry.Street == "Kaiser-Wilhelm-Straße");
        await Expect(new DeviceQuery { Text = "l-00" }, entry => entry.Id.Contains("L-00", StringComparison.Ordinal));
        await Expect(new DeviceQuery { Text = "_" }, entry => entry.Zone?.Contains('_', StringComparison.Ordinal) == true); // LIKE wildcards are plain text
        await Expect(new DeviceQuery { Text = "%" }, entry => entry.Zone?.Contains('%', StringComparison.Ordinal) == true);
        await Expect(new DeviceQuery { Area = new BoundingBox(6.70, 51.40, 6.76, 51.45) }, entry => entry.Lon is >= 6.70 and <= 6.76 && entry.Lat is >= 51.40 and <= 51.45);
        await Expect(new DeviceQuery { Online = true, Kind = DeviceKind.Parking }, entry => entry.Online && entry.Kind == DeviceKind.Parking);
    }

    [Theory]
    [InlineData(DeviceSort.Id)]
    [InlineData(DeviceSort.Borough)]
    [InlineData(DeviceSort.LastSeenDescending)]
    public async Task EverySortPagesThroughEveryDeviceOnceInOrder(DeviceSort sort)
    {
        var (store, reader) = await OpenAsync();
        var fleet = Fleet();
        await ApplyAsync(store, [.. fleet.Select(entry => IndexChange.Upsert(entry))]);

        var expected = (sort switch
        {
            DeviceSort.Borough => fleet.OrderBy(entry => entry.Borough, StringComparer.Ordinal).ThenBy(entry => entry.Id, StringComparer.Ordinal),
            DeviceSort.LastSeenDescending => fleet.OrderByDescending(entry => entry.LastSeen ?? DateTimeOffset.MinValue).ThenByDescending(entry => entry.Id, StringComparer.Ordinal),
            _ => fleet.OrderBy(entry => entry.Id, StringComparer.Ordinal),
        }).Select(entry => entry.Id).ToList();

        var pages = new List<DevicePage>();
        var query = new DeviceQuery { Sort = sort, Limit = 3 };
        do
        {
            var result = await reader.QueryDevicesAsync(query, CancellationToken.None);
            pages.Add(Assert.IsType<DevicePage>(result.Page));
            query = query with { Cursor = pages[^1].Next };
        }
        while (query.Cursor is not null);

        Assert.Equal(expected, pages.SelectMany(page => page.Items).Select(item => item.Id).ToList());
        Assert.All(pages.SkipLast(1), page => Assert.Equal(3, page.Items.Length));
        Assert.Equal((expected.Count + 2) / 3, pages.Count);
    }

    [Fact]
    public async Task AnEntryComesBackWithEveryIndexedValue()
    {
        var (store, reader) = await OpenAsync();
        var seen = Now.AddTicks(1234567);
        var lamp = Lamp("DU-L-9", Boroughs.Rheinhausen, version: 7) with
        {
            Online = true,
            LastSeen = seen,
            Faults = [FaultCodes.DayBurner, FaultCodes.LampFailure],
            LampOn = true,
            LampLevel = 80,
            LampPowerW = 12.5,
            Model = "Philips Luma 1",
            Zone = "Z1",
        };
        await ApplyAsync(store, IndexChange.Upsert(lamp));

        var item = Assert.Single(await ListAsync(reader, new DeviceQuery()));
        Assert.Equal(
            (DeviceKind.Lamp, "DU-L-9", Boroughs.Rheinhausen, lamp.Lat, lamp.Lon, true, FleetDatabase.ToMicroseconds(seen), 7L, "Philips Luma 1", "Z1"),
            (item.Kind, item.Id, item.Borough, item.Lat, item.Lon, item.Online, item.LastSeen!.Value, item.Version, item.Model, item.Zone));
        Assert.Equal([FaultCodes.DayBurner, FaultCodes.LampFailure], item.Faults.ToArray());
        Assert.Equal(
            new Dictionary<string, TwinValue> { ["on"] = TwinValue.Of(true), ["level"] = TwinValue.Of(80), ["powerW"] = TwinValue.Of(12.5) },
            item.Values.ToDictionary());
        Assert.Equal(FleetDatabase.ToMicroseconds(Now), item.IndexedAt);
    }

    [Fact]
    public async Task AQueryThatIsNotValidNamesItsParameter()
    {
        var (_, reader) = await OpenAsync();
        var cursor = new DeviceCursor(DeviceSort.Id, "DU-L-1", "lamp").Encode();

        async Task Expect(string parameter, DeviceQuery query)
        {
            var result = await reader.QueryDevicesAsync(query, CancellationToken.None);
            Assert.Null(result.Page);
            Assert.Equal(parameter, result.Problem!.Parameter);
        }

        await Expect("limit", new DeviceQuery { Limit = 0 });
        await Expect("limit", new DeviceQuery { Limit = DeviceQuery.MaxLimit + 1 });
        await Expect("borough", new DeviceQuery { Borough = "Düsseldorf" });
        await Expect("fault", new DeviceQuery { Fault = "lampFailur" });
        await Expect("q", new DeviceQuery { Text = new string('x', DeviceQuery.MaxTextLength + 1) });
        await Expect("bbox", new DeviceQuery { Area = new BoundingBox(7, 51, 6, 52) });
        await Expect("bbox", new DeviceQuery { Area = new BoundingBox(6, -91, 7, 52) });
        await Expect("cursor", new DeviceQuery { Cursor = "not-a-cursor" });
        await Expect("cursor", new DeviceQuery { Sort = DeviceSort.Borough, Cursor = cursor });
        Assert.NotNull((await reader.QueryDevicesAsync(new DeviceQuery { Cursor = cursor }, CancellationToken.None)).Page);
    }

    [Fact]
    public async Task BoroughFiguresCountWhatTheRowsSay()
    {
        var (store, reader) = await OpenAsync();
        await ApplyAsync(
            store,
            [
                IndexChange.Upsert(Lamp("L1", Boroughs.Mitte, 1) with { Online = true, LampOn = true, LampLevel = 100, LampPowerW = 60, Faults = [FaultCodes.DayBurner] }),
                IndexChange.Upsert(Lamp("L2", Boroughs.Mitte, 1) with { Online = true, LampOn = true, LampLevel = 50, LampPowerW = 30 }),
                IndexChange.Upsert(Lamp("L3", Boroughs.Mitte, 1) with { LampOn = true, LampPowerW = 1, Faults = [FaultCodes.LampFailure, FaultCodes.DayBurner] }),
                IndexChange.Upsert(Lamp("L4", Boroughs.Mitte, 1) with { LampOn = false, LampLevel = 80, LampPowerW = 0 }),
                IndexChange.Upsert(Lamp("L5", Boroughs.Hamborn, 1) with { LampOn = true, LampLevel = 10 }),
                IndexChange.Upsert(Bay("P1", Boroughs.Mitte, "free") with { Online = true }),
                IndexChange.Upsert(Bay("P2", Boroughs.Mitte, "free")),
                IndexChange.Upsert(Bay("P3", Boroughs.Mitte, "occupied") with { Faults = [FaultCodes.StuckOccupied] }),
                IndexChange.Upsert(Bay("P4", Boroughs.Mitte, "closed")),
                IndexChange.Upsert(Bay("P5", Boroughs.Mitte, "unknown")),
                IndexChange.Upsert(Bay("P6", Boroughs.Mitte, null)),
                IndexChange.Upsert(Entry(DeviceKind.Wifi, "W1", Boroughs.Mitte) with { WifiUp = true, WifiClients = 12, Online = true }),
                IndexChange.Upsert(Entry(DeviceKind.Wifi, "W2", Boroughs.Mitte) with { WifiUp = false, WifiClients = 0, Faults = [FaultCodes.ApDown] }),
                Metered(Meter("M1", Boroughs.Mitte, MeterMedia.Water, 1), (-30, 1.5), (-90, 2), (-23 * 60, 4), (-25 * 60, 100)),
                Metered(Meter("M2", Boroughs.Mitte, MeterMedia.Water, 1) with { Faults = [FaultCodes.Leak] }, (-10, 0.5)),
                Metered(Meter("M3", Boroughs.Mitte, MeterMedia.Heat, 1), (-59, 7), (5, 1000)),
                Metered(Meter("M4", Boroughs.Hamborn, MeterMedia.Water, 1), (-5, 9)),
            ],
            Now.AddDays(-2));

        var mitte = (await reader.GetBoroughAsync("MITTE", CancellationToken.None))!;

        Assert.Equal((Boroughs.Mitte, Now, 15, 4), (mitte.Name, mitte.At, mitte.Devices, mitte.Online));
        Assert.Equal(
            new Dictionary<string, int> { [FaultCodes.ApDown] = 1, [FaultCodes.DayBurner] = 2, [FaultCodes.LampFailure] = 1, [FaultCodes.Leak] = 1, [FaultCodes.StuckOccupied] = 1 },
            mitte.Faults.ToDictionary());
        Assert.Equal((4, 2, 3, 75.0, 91.0), (mitte.Lamp.Devices, mitte.Lamp.Online, mitte.Lamp.Lit, mitte.Lamp.AverageLevel, mitte.Lamp.PowerW));
        Assert.Equal(new Dictionary<string, int> { [FaultCodes.DayBurner] = 2, [FaultCodes.LampFailure] = 1 }, mitte.Lamp.Faults.ToDictionary());
        Assert.Equal((6, 6, 2, 1, 1, 2, 1), (mitte.Parking.Devices, mitte.Parking.Total, mitte.Parking.Free, mitte.Parking.Occupied, mitte.Parking.Closed, mitte.Parking.Unknown, mitte.Parking.Online));
        Assert.Equal((2, 1, 1, 12), (mitte.Wifi.Devices, mitte.Wifi.Online, mitte.Wifi.Up, mitte.Wifi.Clients));
        Assert.Equal(3, mitte.Meter.Devices);
        Assert.Equal(MeterMedia.All.Order(StringComparer.Ordinal), mitte.Meter.Consumption.Keys);
        Assert.Equal(new MediumConsumption { Unit = "m3", Meters = 2, LastHour = 2.0, LastDay = 8.0 }, mitte.Meter.Consumption[MeterMedia.Water]);
        Assert.Equal(new MediumConsumption { Unit = "kWh", Meters = 1, LastHour = 7, LastDay = 7 }, mitte.Meter.Consumption[MeterMedia.Heat]);
        Assert.Equal(new MediumConsumption { Unit = "m3", Meters = 0, LastHour = 0, LastDay = 0 }, mitte.Meter.Consumption[MeterMedia.Gas]);

        var all = await reader.GetBoroughsAsync(CancellationToken.None);
        Assert.Equal(Boroughs.All, all.Boroughs.Select(borough => borough.Name));
        var hamborn = all.Boroughs.Single(borough => borough.Name == Boroughs.Hamborn);
        Assert.Equal((2, 1, 10.0, 0.0, 9.0), (hamborn.Devices, hamborn.Lamp.Lit, hamborn.Lamp.AverageLevel, hamborn.Lamp.PowerW, hamborn.Meter.Consumption[MeterMedia.Water].LastHour));
        Assert.Equal(0, all.Boroughs.Single(borough => borough.Name == Boroughs.Walsum).Devices);
        Assert.Null(all.Boroughs.Single(borough => borough.Name == Boroughs.Walsum).Lamp.AverageLevel);
        Assert.Null(await reader.GetBoroughAsync("Atlantis", CancellationToken.None));
    }

    [Fact]
    public async Task SweepRemovesOnlyUnknownRowsWrittenBeforeItAndPurgeOnlyOldConsumption()
    {
        var (store, reader) = await OpenAsync();
        await ApplyAsync(store, [IndexChange.Upsert(Lamp("Kept", Boroughs.Mitte, 1)), IndexChange.Upsert(Meter("Gone", Boroughs.Mitte, MeterMedia.Gas, 1) with { Faults = [FaultCodes.Leak] })]);
        var rebuildStarted = Now.AddSeconds(1);
        _time.SetUtcNow(Now.AddSeconds(2));
        await ApplyAsync(store, IndexChange.Upsert(Lamp("WrittenDuringTheRebuild", Boroughs.Mitte, 1)));

        Assert.Equal(1, await store.SweepAsync(new HashSet<DeviceKey> { new(DeviceKind.Lamp, "Kept") }, rebuildStarted, 10, CancellationToken.None));
        Assert.Equal(["Kept", "WrittenDuringTheRebuild"], (await ListAsync(reader, new DeviceQuery())).Select(item => item.Id));
        Assert.Empty((await reader.GetBoroughsAsync(CancellationToken.None)).Boroughs.SelectMany(borough => borough.Faults));

        await ApplyAsync(store, [Metered(Meter("M", Boroughs.Mitte, MeterMedia.Gas, 1), (-10, 1), (-3 * 24 * 60, 5))], Now.AddDays(-4));
        Assert.Equal(1, await store.PurgeConsumptionAsync(Now.AddDays(-2), CancellationToken.None));
        Assert.Equal(0, await store.PurgeConsumptionAsync(Now.AddDays(-2), CancellationToken.None));
        Assert.Equal(1, (await reader.GetBoroughAsync(Boroughs.Mitte, CancellationToken.None))!.Meter.Consumption[MeterMedia.Gas].LastHour);
    }

    [Fact]
    public async Task MarkersAreKeptAndReplaced()
    {
        var (store, _) = await OpenAsync();
        Assert.Null(await store.ReadMarkerAsync(FleetIndexStore.FormatMarker, CancellationToken.None));
        Assert.True(await store.IsEmptyAsync(CancellationToken.None));

        await store.WriteMarkerAsync(FleetIndexStore.FormatMarker, "1", CancellationToken.None);
        await store.WriteMarkerAsync(FleetIndexStore.FormatMarker, "2", CancellationToken.None);
        await ApplyAsync(store, IndexChange.Upsert(Lamp("L", Boroughs.Mitte, 1)));

        Assert.Equal("2", await store.ReadMarkerAsync(FleetIndexStore.FormatMarker, CancellationToken.None));
        Assert.False(await store.IsEmptyAsync(CancellationToken.None));
    }

    private async Task<(FleetIndexStore Store, FleetIndexReader Reader)> OpenAsync()
    {
        var database = await DatabaseAsync();
        return (new FleetIndexStore(database), new FleetIndexReader(database, _time));
    }

    private Task<int> ApplyAsync(FleetIndexStore store, params IndexChange[] changes) => ApplyAsync(store, changes, Now.AddDays(-2));

    private Task<int> ApplyAsync(FleetIndexStore store, IndexChange[] changes, DateTimeOffset cutoff) =>
        store.ApplyAsync(changes, _time.GetUtcNow(), cutoff, CancellationToken.None);

    private static async Task<List<DeviceSummary>> ListAsync(FleetIndexReader reader, DeviceQuery query)
    {
        var result = await reader.QueryDevicesAsync(query with { Limit = DeviceQuery.MaxLimit }, CancellationToken.None);
        Assert.Null(result.Problem);
        return [.. result.Page!.Items];
    }

    /// <summary>A meter's upsert with steps reported the given minutes from now.</summary>
    private static IndexChange Metered(IndexEntry meter, params (int MinutesFromNow, double Amount)[] steps) => IndexChange.Upsert(
        meter,
        [.. steps.Select(step => new ConsumptionPoint(Now.AddMinutes(step.MinutesFromNow), step.Amount, meter.Borough, meter.MeterMedium!))]);

    private static IndexEntry Entry(DeviceKind kind, string id, string borough, long version = 1) => new()
    {
        Kind = kind,
        Id = id,
        Borough = borough,
        Lat = 51.43,
        Lon = 6.76,
        Version = version,
    };

    private static IndexEntry Lamp(string id, string borough, long version) => Entry(DeviceKind.Lamp, id, borough, version);

    private static IndexEntry Bay(string id, string borough, string? state) => Entry(DeviceKind.Parking, id, borough) with { ParkingState = state };

    private static IndexEntry Meter(string id, string borough, string medium, long version) => Entry(DeviceKind.Meter, id, borough, version) with { MeterMedium = medium };

    /// <summary>Twelve devices that differ in every filtered and sorted column, with ties on each sort's first key.</summary>
    private static List<IndexEntry> Fleet() =>
    [
        Lamp("DU-L-001", Boroughs.Hamborn, 1) with { Faults = [FaultCodes.LampFailure], Online = true, LastSeen = Now.AddMinutes(-1), Lat = 51.49, Lon = 6.78, Street = "Kaiser-Wilhelm-Straße" },
        Lamp("DU-L-002", Boroughs.Hamborn, 1) with { Online = true, LastSeen = Now.AddMinutes(-1), Lat = 51.50, Lon = 6.77 },
        Lamp("DU-L-003", Boroughs.Mitte, 1) with { Faults = [FaultCodes.LampFailure, FaultCodes.DayBurner], LastSeen = Now.AddMinutes(-5), Lat = 51.43, Lon = 6.76 },
        Lamp("DU-L-004", Boroughs.Sued, 1) with { Online = true, Lat = 51.37, Lon = 6.75, Street = "Kaiser-Wilhelm-Straße" },
        Lamp("DU-L-010", Boroughs.MeiderichBeeck, 1) with { Faults = [FaultCodes.DayBurner], LastSeen = Now.AddHours(-3), Lat = 51.47, Lon = 6.80 },
        Bay("DU-P-001", Boroughs.Hamborn, "free") with { Online = true, LastSeen = Now.AddMinutes(-2), Lat = 51.49, Lon = 6.70 },
        Bay("DU-P-002", Boroughs.Mitte, "occupied") with { Faults = [FaultCodes.StuckOccupied], LastSeen = Now.AddMinutes(-2), Lat = 51.44, Lon = 6.71 },
        Bay("DU-P-003", Boroughs.Mitte, null) with { Lat = 51.42, Lon = 6.69 },
        Entry(DeviceKind.Wifi, "DU-W-001", Boroughs.HombergRuhrortBaerl) with { Online = true, LastSeen = Now.AddSeconds(-10), Lat = 51.45, Lon = 6.65 },
        Meter("DU-M-001", Boroughs.Walsum, MeterMedia.Water, 1) with { Faults = [FaultCodes.Leak], LastSeen = Now.AddDays(-1), Lat = 51.53, Lon = 6.74 },
        Meter("DU-M-002", Boroughs.Rheinhausen, MeterMedia.Electricity, 1) with { Online = true, LastSeen = Now.AddMinutes(-5), Lat = 51.40, Lon = 6.72, Zone = "Gewerbegebiet 100%_" },
        Entry(DeviceKind.Meter, "du-m-lower", Boroughs.Mitte) with { MeterMedium = MeterMedia.Gas, Lat = 51.41, Lon = 6.74 },
    ];
}
