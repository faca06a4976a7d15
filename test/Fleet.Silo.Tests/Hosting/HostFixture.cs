namespace Fleet.Silo.Tests.Hosting;

/// <summary>One running Fleet host shared by the tests of a collection; each test uses its own device ids.</summary>
public sealed class HostFixture : IAsyncLifetime
{
    public FleetHost Host { get; } = new();

    public HttpClient Http => Host.Http;

    public Task InitializeAsync() => Host.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class HostCollection : ICollectionFixture<HostFixture>
{
    public const string Name = "host";
}
