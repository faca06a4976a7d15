using Fleet.Alarms;
using Fleet.Devices;
using Fleet.Silo.Alarms;
using Fleet.Silo.Storage;
using Fleet.Silo.Tests.Storage;

namespace Fleet.Silo.Tests.Alarms;

/// <summary>The alarm lifecycle statements, the same on SQLite and PostgreSQL.</summary>
public abstract class AlarmStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 31, 18, 0, 0, TimeSpan.Zero);

    protected abstract Task<FleetDatabase> DatabaseAsync();

    [Fact]
    public async Task RaiseReopenAcknowledgeAndClearFollowTheLifecycle()
    {
        var store = new AlarmStore(await DatabaseAsync());
        var hold = TimeSpan.FromMinutes(10);

        var opened = await store.WriteAsync(s => s.RaiseAsync(DeviceKind.Meter, "M1", "Hamborn", "leak", "leaking", T0, T0 - hold, T0), default);
        var alarm = Assert.Single(opened).Alarm;
        Assert.Equal((AlarmState.Active, AlarmSeverity.Critical, 1, T0), (alarm.State, alarm.Severity, alarm.Count, alarm.RaisedAt));

        // Raised again while open: no second alarm, no event.
        Assert.Empty(await store.WriteAsync(s => s.RaiseAsync(DeviceKind.Meter, "M1", "Hamborn", "leak", "still leaking", T0, T0 - hold, T0.AddSeconds(1)), default));

        var ack = await Ack(store, alarm.Id, T0.AddMinutes(1));
        Assert.Equal(AckOutcome.Acknowledged, ack.Outcome);
        Assert.Equal(AckOutcome.AlreadyAcknowledged, (await Ack(store, alarm.Id, T0.AddMinutes(2))).Outcome);

        var cleared = Assert.Single(await store.WriteAsync(s => s.ClearAsync(DeviceKind.Meter, "M1", "leak", T0.AddMinutes(3)), default)).Alarm;
        Assert.Equal((AlarmState.Cleared, T0.AddMinutes(3)), (cleared.State, cleared.ClearedAt));
        Assert.Equal(AckOutcome.AlreadyCleared, (await Ack(store, alarm.Id, T0.AddMinutes(4))).Outcome);
        Assert.Equal(AckOutcome.NotFound, (await Ack(store, alarm.Id + 1000, T0)).Outcome);

        var now = T0.AddMinutes(8);
        var reopened = Assert.Single(await store.WriteAsync(s => s.RaiseAsync(DeviceKind.Meter, "M1", "Hamborn", "leak", "again", now, now - hold, now), default)).Alarm;
        Assert.Equal((alarm.Id, AlarmState.Active, 2, T0, now), (reopened.Id, reopened.State, reopened.Count, reopened.RaisedAt, reopened.LastRaisedAt));
        Assert.Null(reopened.AcknowledgedBy);

        await store.WriteAsync(s => s.ClearAsync(DeviceKind.Meter, "M1", "leak", now.AddMinutes(1)), default);
        var later = now.AddMinutes(30);
        var fresh = Assert.Single(await store.WriteAsync(s => s.RaiseAsync(DeviceKind.Meter, "M1", "Hamborn", "leak", "new", later, later - hold, later), default)).Alarm;
        Assert.NotEqual(alarm.Id, fresh.Id);
        Assert.Equal(1, fresh.Count);
    }

    [Fact]
    public async Task ListingFiltersAndPagesNewestFirst()
    {
        var store = new AlarmStore(await DatabaseAsync());
        await store.WriteAsync(
            async s =>
            {
                for (var i = 0; i < 5; i++)
                {
                    await s.RaiseAsync(DeviceKind.Lamp, "L" + i, i % 2 == 0 ? "Mitte" : "Süd", "lampFailure", "dark", T0, T0, T0);
                }

                await s.RaiseAsync(DeviceKind.Parking, "P1", "Mitte", "sensorBatteryLow", "low", T0, T0, T0);
            },
            default);

        var first = await store.ListAsync(new AlarmQuery { Kind = DeviceKind.Lamp, Limit = 2 }, default);
        var second = await store.ListAsync(new AlarmQuery { Kind = DeviceKind.Lamp, Limit = 2, Cursor = first.Next }, default);
        var third = await store.ListAsync(new AlarmQuery { Kind = DeviceKind.Lamp, Limit = 2, Cursor = second.Next }, default);
        var ids = first.Alarms.Concat(second.Alarms).Concat(third.Alarms).Select(a => a.Id).ToList();
        Assert.Equal(5, ids.Count);
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Null(third.Next);

        Assert.Equal(3, (await store.ListAsync(new AlarmQuery { Borough = "Mitte", Severity = AlarmSeverity.Major }, default)).Alarms.Length);
        Assert.Single((await store.ListAsync(new AlarmQuery { Severity = AlarmSeverity.Warning, State = AlarmState.Active }, default)).Alarms);
        Assert.Empty((await store.ListAsync(new AlarmQuery { State = AlarmState.Cleared }, default)).Alarms);
    }

    [Fact]
    public async Task OverdueDevicesAreMarkedOnceAndComingOnlineResetsTheMark()
    {
        var store = new AlarmStore(await DatabaseAsync());
        await store.WriteAsync(
            async s =>
            {
                Assert.True(await s.SaveDeviceAsync(new AlarmDevice(DeviceKind.Wifi, "W1", "Mitte", false, T0, 5)));
                Assert.True(await s.SaveDeviceAsync(new AlarmDevice(DeviceKind.Wifi, "W2", "Mitte", false, null, 5)));
                Assert.True(await s.SaveDeviceAsync(new AlarmDevice(DeviceKind.Wifi, "W3", "Mitte", true, T0, 5)));
                Assert.False(await s.SaveDeviceAsync(new AlarmDevice(DeviceKind.Wifi, "W3", "Mitte", false, T0, 4)));
            },
            default);

        var overdue = await store.OverdueAsync(DeviceKind.Wifi, T0.AddMinutes(20), 10, default);
        Assert.Equal(["W1"], overdue.Select(d => d.DeviceId));

        var marks = new List<bool>();
        await store.WriteAsync(
            async s =>
            {
                marks.Add(await s.MarkOfflineAlarmAsync(DeviceKind.Wifi, "W1"));
                marks.Add(await s.MarkOfflineAlarmAsync(DeviceKind.Wifi, "W1"));
            },
            default);
        Assert.Equal([true, false], marks);
        Assert.Empty(await store.OverdueAsync(DeviceKind.Wifi, T0.AddMinutes(20), 10, default));

        await store.WriteAsync(async s => await s.SaveDeviceAsync(new AlarmDevice(DeviceKind.Wifi, "W1", "Mitte", true, T0.AddHours(1), 6)), default);
        await store.WriteAsync(async s => await s.SaveDeviceAsync(new AlarmDevice(DeviceKind.Wifi, "W1", "Mitte", false, T0.AddHours(1), 7)), default);
        Assert.Single(await store.OverdueAsync(DeviceKind.Wifi, T0.AddHours(2), 10, default));
    }

    private static async Task<AckResult> Ack(AlarmStore store, long id, DateTimeOffset at)
    {
        AckResult? result = null;
        await store.WriteAsync(async s => result = await s.AcknowledgeAsync(id, "key1", "crew", "checked", at), default);
        return result!;
    }
}

/// <summary>The alarm tables on the embedded SQLite store.</summary>
public sealed class SqliteAlarmStoreTests : AlarmStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override Task<FleetDatabase> DatabaseAsync() => _database.FleetDatabaseAsync();

    public void Dispose() => _database.Dispose();
}

/// <summary>The alarm tables on PostgreSQL, on a fresh database of the server in FLEET_TEST_POSTGRES (./test.sh sets it).</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlAlarmStoreTests : AlarmStoreContract, IAsyncLifetime
{
    private PostgreSqlFleetTestDatabase? _database;

    public Task InitializeAsync() => Task.CompletedTask;

    protected override async Task<FleetDatabase> DatabaseAsync() =>
        (_database = await PostgreSqlFleetTestDatabase.CreateAsync()).Database;

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
