using System.Globalization;
using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>Settings for a Fleet host whose MQTT gateway listens on a free loopback port.</summary>
internal static class MqttTestHost
{
    public static FleetHost Create(IReadOnlyDictionary<string, string>? extra = null, int? mqttPort = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Fleet:Mqtt:Port"] = (mqttPort ?? FleetHost.FreePort()).ToString(CultureInfo.InvariantCulture),
            ["Fleet:Mqtt:BindAddress"] = "127.0.0.1",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return new FleetHost(settings);
    }

    public static int MqttPort(this FleetHost host) => int.Parse(host.Setting("Fleet:Mqtt:Port"), CultureInfo.InvariantCulture);
}

/// <summary>One Fleet host with MQTT shared by the gateway tests; rate limits are raised so only the rate-limit test meets them.</summary>
public sealed class MqttHostFixture : IAsyncLifetime
{
    public FleetHost Host { get; } = MqttTestHost.Create(new Dictionary<string, string>
    {
        ["Fleet:Mqtt:MessagesPerSecond"] = "10000",
        ["Fleet:Mqtt:Burst"] = "10000",
    });

    public HttpClient Http => Host.Http;

    public int MqttPort => Host.MqttPort();

    public Task InitializeAsync() => Host.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class MqttCollection : ICollectionFixture<MqttHostFixture>
{
    public const string Name = "mqtt";
}
