using System.Net;
using Fleet.Queries;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Client;

/// <summary>
/// An Orleans client connection to a Fleet cluster, for other city systems and the fleet CLI.
/// Reference Fleet.Interfaces and use <see cref="Grains"/> with the grain interfaces it defines.
/// </summary>
public sealed class FleetConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private FleetConnection(IHost host) => _host = host;

    public IClusterClient Grains => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>Fleet-wide queries: devices from the fleet index and borough figures (as GET /api/devices and /api/boroughs).</summary>
    public IFleetQueryGrain Queries => Grains.GetFleetQueries();

    /// <summary>Connects to the given silo gateways (host:port), e.g. 127.0.0.1:30000.</summary>
    public static async Task<FleetConnection> ConnectAsync(IReadOnlyList<string> gateways, string clusterId = "fleet", string serviceId = "fleet", CancellationToken cancellationToken = default)
    {
        var endpoints = gateways.Select(ParseEndpoint).ToArray();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(endpoints);
            client.UseConnectionRetryFilter(new RetryFilter(ConnectAttempts).ShouldRetryAsync);
            client.AddMemoryStreams(Fleet.Events.FleetEventStreams.ProviderName);
            client.Configure<Orleans.Configuration.ClusterOptions>(options =>
            {
                options.ClusterId = clusterId;
                options.ServiceId = serviceId;
            });
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new FleetConnection(host);
    }

    /// <summary>How often a first connection is tried before giving up (half a second apart).</summary>
    public const int ConnectAttempts = 4;

    public static IPEndPoint ParseEndpoint(string text)
    {
        var separator = text.LastIndexOf(':');
        if (separator <= 0 || !int.TryParse(text[(separator + 1)..], out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{text}' is not a gateway address; write host:port, e.g. 127.0.0.1:30000.");
        }

        var host = text[..separator].Trim('[', ']');
        var address = IPAddress.TryParse(host, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new FormatException($"'{host}' does not resolve.");
        return new IPEndPoint(address, port);
    }

    private sealed class RetryFilter(int attempts)
    {
        private int _failures;

        public async Task<bool> ShouldRetryAsync(Exception exception, CancellationToken cancellationToken)
        {
            if (++_failures >= attempts)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
