using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Alarms;

/// <summary>A Fleet host whose lamps count as offline after a second, swept five times a second.</summary>
public sealed class AlarmsHostFixture : IAsyncLifetime
{
    public FleetHost Host { get; } = new(new Dictionary<string, string>
    {
        ["Fleet:Alarms:OfflineAfter:Lamp"] = "00:00:01",
        ["Fleet:Alarms:SweepInterval"] = "00:00:00.2",
        ["Fleet:Alarms:ReconcileDelay"] = "00:10:00",
    });

    public HttpClient Http => Host.Http;

    public Task InitializeAsync() => Host.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AlarmsHostCollection : ICollectionFixture<AlarmsHostFixture>
{
    public const string Name = "alarms host";
}
