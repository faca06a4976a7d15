using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Fleet.Silo.Storage;

namespace Fleet.Silo.Tests.Audit;

/// <summary>
/// What the audit and key tables must do on every engine Fleet stores in; SQLite and PostgreSQL
/// each run it on a fresh database.
/// </summary>
public abstract class AuditStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 31, 18, 0, 0, TimeSpan.Zero);
    private static readonly FleetActor Alice = new("a11ce00000000000", "alice", "operator");
    private static readonly FleetActor Bob = new("b0b0000000000000", "bob", "admin");

    protected abstract Task<FleetDatabase> DatabaseAsync();

    [Fact]
    public async Task EntriesComeBackNewestFirstWithEveryField()
    {
        var store = new AuditStore(await DatabaseAsync());
        var precise = T0.AddTicks(1234567); // 123.4567 ms: kept to the microsecond
        await store.AppendAsync(
            [
                new AuditEntry(T0, Alice, "device.desired", "lamp", "DU-L-1", """{"level":40}""", 200, "ok"),
                new AuditEntry(precise, Bob, "key.create", "key", "k1", null, 201, "ok"),
                new AuditEntry(T0.AddSeconds(1), Alice, "device.desired", null, null, null, 412, "refused: the twin has changed"),
            ],
            CancellationToken.None);

        var page = await store.QueryAsync(new AuditQuery(), CancellationToken.None);

        Assert.Null(page.Next);
        Assert.Equal(["refused: the twin has changed", "ok", "ok"], page.Entries.Select(entry => entry.Outcome));
        var last = page.Entries[^1];
        Assert.Equal(new AuditEntry(T0, Alice, "device.desired", "lamp", "DU-L-1", """{"level":40}""", 200, "ok") { Id = last.Id }, last);
        Assert.Equal(FleetDatabase.ToMicroseconds(precise), page.Entries[1].At);
        Assert.Equal(precise.AddTicks(-7), page.Entries[1].At);
        Assert.Null(page.Entries[0].TargetKind);
        Assert.True(page.Entries[0].Id > page.Entries[1].Id || page.Entries[0].At > page.Entries[1].At);
    }

    [Fact]
    public async Task FiltersCombine()
    {
        var store = new AuditStore(await DatabaseAsync());
        await store.AppendAsync(
            [
                new AuditEntry(T0, Alice, "device.desired", "lamp", "DU-L-1", null, 200, "ok"),
                new AuditEntry(T0.AddMinutes(1), Alice, "device.desired", "lamp", "DU-L-2", null, 200, "ok"),
                new AuditEntry(T0.AddMinutes(2), Bob, "device.provision", "meter", "DU-M-1", null, 201, "ok"),
                new AuditEntry(T0.AddMinutes(3), Bob, "key.create", "key", "k1", null, 201, "ok"),
            ],
            CancellationToken.None);

        async Task<string[]> TargetsAsync(AuditQuery query) =>
            (await store.QueryAsync(query, CancellationToken.None)).Entries.Select(entry => entry.TargetId!).ToArray();

        Assert.Equal(["DU-L-2", "DU-L-1"], await TargetsAsync(new AuditQuery(Actor: "alice")));
        Assert.Equal(["DU-L-2", "DU-L-1"], await TargetsAsync(new AuditQuery(Actor: Alice.Id)));
        Assert.Equal(["DU-M-1"], await TargetsAsync(new AuditQuery(Action: "device.provision")));
        Assert.Equal(["k1"], await TargetsAsync(new AuditQuery(Kind: "key")));
        Assert.Equal(["DU-L-2"], await TargetsAsync(new AuditQuery(TargetId: "DU-L-2")));
        Assert.Equal(["DU-M-1", "DU-L-2"], await TargetsAsync(new AuditQuery(From: T0.AddMinutes(1), To: T0.AddMinutes(3))));
        Assert.Equal(["DU-L-2"], await TargetsAsync(new AuditQuery(Actor: "alice", Kind: "lamp", From: T0.AddSeconds(30))));
        Assert.Empty(await TargetsAsync(new AuditQuery(Actor: "bob", Kind: "lamp")));
    }

    [Fact]
    public async Task PagesBreakTiesBetweenEqualTimesById()
    {
        var store = new AuditStore(await DatabaseAsync());
        await store.AppendAsync(
            Enumerable.Range(0, 7).Select(i => new AuditEntry(T0, Alice, "device.desired", "lamp", $"DU-L-{i}", null, 200, "ok")).ToList(),
            CancellationToken.None);

        var seen = new List<AuditEntry>();
        AuditCursor? after = null;
        var sizes = new List<int>();
        while (true)
        {
            var page = await store.QueryAsync(new AuditQuery(Limit: 3, After: after), CancellationToken.None);
            seen.AddRange(page.Entries);
            sizes.Add(page.Entries.Count);
            if (page.Next is null)
            {
                break;
            }

            after = AuditCursor.TryParse(page.Next);
        }

        Assert.Equal([3, 3, 1], sizes);
        Assert.Equal(Enumerable.Range(0, 7).Reverse().Select(i => $"DU-L-{i}"), seen.Select(entry => entry.TargetId));
    }

    [Fact]
    public async Task KeysAreCreatedFoundListedAndRevokedOnce()
    {
        var store = new ApiKeyStore(await DatabaseAsync());
        var first = new ApiKeyRecord("00000000000000a1", new string('a', 64), "ops", FleetRoles.Operator, T0, new KeyActor("boot", "bootstrap"), null);
        var second = new ApiKeyRecord("00000000000000b2", new string('b', 64), "gis", FleetRoles.Integration, T0.AddMinutes(1), new KeyActor("boot", "bootstrap"), T0.AddDays(30));
        await store.CreateAsync(first, CancellationToken.None);
        await store.CreateAsync(second, CancellationToken.None);

        Assert.Equal(first, await store.FindAsync(first.Id, CancellationToken.None));
        Assert.Null(await store.FindAsync("0000000000000000", CancellationToken.None));
        Assert.Equal([second, first], await store.ListAsync(CancellationToken.None));

        Assert.True(await store.RevokeAsync(second.Id, T0.AddHours(1), new KeyActor(first.Id, first.Name), CancellationToken.None));
        Assert.True(await store.RevokeAsync(second.Id, T0.AddHours(2), new KeyActor("someone", "else"), CancellationToken.None));
        Assert.False(await store.RevokeAsync("0000000000000000", T0, new KeyActor("x", "x"), CancellationToken.None));

        Assert.Equal(
            second with { RevokedAt = T0.AddHours(1), RevokedBy = new KeyActor(first.Id, first.Name) },
            await store.FindAsync(second.Id, CancellationToken.None));
    }
}
