using System.Net;
using Fleet.Queries;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

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
    public static Task<FleetConnection> ConnectAsync(IReadOnlyList<string> gateways, string clusterId = "fleet", string serviceId = "fleet", CancellationToken cancellationToken = default)
    {
        var endpoints = gateways.Select(ParseEndpoint).ToArray();
        return ConnectAsync(client => client.UseStaticClustering(endpoints), clusterId, serviceId, cancellationToken);
    }

    /// <summary>
    /// Connects to a Fleet cluster on PostgreSQL (Fleet:Store = PostgreSql): the live gateways are
    /// read from the cluster's membership table, so silos may come and go without reconfiguring
    /// the client. The connection string is the silos' ConnectionStrings:Fleet (read access to the
    /// membership table is enough).
    /// </summary>
    public static Task<FleetConnection> ConnectToPostgreSqlAsync(string connectionString, string clusterId = "fleet", string serviceId = "fleet", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlDataSource dataSource;
        try
        {
            dataSource = NpgsqlDataSource.Create(connectionString);
        }
        catch (ArgumentException exception)
        {
            throw new FormatException("The PostgreSQL connection string is not valid: " + exception.Message, exception);
        }

        return ConnectAsync(
            client =>
            {
                // Owned by the client's container, so it is disposed with the connection.
                client.Services.AddSingleton(dataSource);
                client.UseAdoNetClustering(options =>
                {
                    options.Invariant = "Npgsql";
                    options.DataSource = dataSource;
                });
                client.Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10));
            },
            clusterId,
            serviceId,
            cancellationToken);
    }

    private static async Task<FleetConnection> ConnectAsync(Action<IClientBuilder> clustering, string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            clustering(client);
            client.UseConnectionRetryFilter(new RetryFilter(ConnectAttempts).ShouldRetryAsync);
            client.AddMemoryStreams(Fleet.Events.FleetEventStreams.ProviderName);
            client.Configure<ClusterOptions>(options =>
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
