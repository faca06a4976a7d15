using Fleet.Simulator.Engine;

namespace Fleet.Cluster.Tests;

/// <summary>
/// Three (or more) Fleet silos as processes on one fresh PostgreSQL database, configured as the
/// docker deployment configures them: Fleet__Store=PostgreSql plus ConnectionStrings__Fleet, each
/// silo with its own ports. Disposing kills what still runs and drops the database.
/// </summary>
public sealed class FleetCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly PostgresServer _server;
    private readonly string _directory;
    private readonly List<HttpClient> _clients = [];
    private int _next;

    private FleetCluster(PostgresServer server, string connectionString, string directory, IReadOnlyList<SiloProcess> silos, string adminKey)
    {
        _server = server;
        ConnectionString = connectionString;
        _directory = directory;
        Silos = silos;
        AdminKey = adminKey;
    }

    public string ConnectionString { get; }

    public IReadOnlyList<SiloProcess> Silos { get; }

    public string AdminKey { get; }

    public string ClusterId { get; private init; } = "fleet";

    public IReadOnlyList<MqttEndpoint> MqttEndpoints => Silos.Select(silo => new MqttEndpoint("127.0.0.1", silo.MqttPort)).ToList();

    /// <summary>Starts the silos together (the schema is applied under an advisory lock) and waits until each is ready.</summary>
    public static async Task<FleetCluster> StartAsync(PostgresServer server, int silos = 3, IReadOnlyDictionary<string, string>? settings = null)
    {
        var connectionString = await server.CreateDatabaseAsync();
        var directory = Directory.CreateTempSubdirectory("fleet-cluster.").FullName;
        var adminKey = "cluster-admin-" + Guid.NewGuid().ToString("N");
        var clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        var common = new Dictionary<string, string>
        {
            ["Fleet:Store"] = "PostgreSql",
            ["ConnectionStrings:Fleet"] = connectionString,
            ["Fleet:Orleans:ClusterId"] = clusterId,
            ["Fleet:Demo:Enabled"] = "false",
            ["Fleet:Demo:LiveDevices"] = "false",
            ["Fleet:Auth:BootstrapAdminKey"] = adminKey,

            // Alarms queued on a silo that dies are restored by the next reconcile pass.
            ["Fleet:Alarms:ReconcileDelay"] = "00:00:05",
            ["Fleet:Alarms:ReconcileInterval"] = "00:00:15",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging:LogLevel:Fleet.Silo.Mqtt.MqttGatewayHandlers"] = "Information",
            ["Logging:LogLevel:Orleans.Runtime.MembershipService"] = "Information",
            ["Logging:LogLevel:Fleet.Grains.Twins"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            common[key] = value;
        }

        var processes = Enumerable.Range(1, silos).Select(index => new SiloProcess($"silo{index}", directory, common)).ToList();
        var cluster = new FleetCluster(server, connectionString, directory, processes, adminKey) { ClusterId = clusterId };
        try
        {
            foreach (var silo in processes)
            {
                silo.Start();
            }

            await Task.WhenAll(processes.Select(silo => silo.WaitReadyAsync(StartTimeout)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HTTP client of the silo with the admin key; bulk calls (a CSV import) get a longer timeout.</summary>
    public HttpClient Http(SiloProcess silo) => Http(silo, TimeSpan.FromSeconds(15));

    public HttpClient Http(SiloProcess silo, TimeSpan timeout)
    {
        var client = new HttpClient { BaseAddress = silo.BaseAddress, Timeout = timeout };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>The running silos in turn, for spreading API calls over the cluster.</summary>
    public SiloProcess NextRunning()
    {
        for (var attempt = 0; attempt < Silos.Count; attempt++)
        {
            var silo = Silos[(int)((uint)Interlocked.Increment(ref _next) % Silos.Count)];
            if (silo.IsRunning)
            {
                return silo;
            }
        }

        throw new InvalidOperationException("No silo is running.");
    }

    public string Logs() => string.Join('\n', Silos.Select(silo => silo.LogTail(15)));

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }

        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        try
        {
            await _server.DropDatabaseAsync(ConnectionString);
        }
        catch (Npgsql.NpgsqlException)
        {
            // The server may be down in a failed PostgreSQL-restart test; its own directory goes with it.
        }

        // A failing test prints the tails of the silo logs; FLEET_CLUSTER_KEEP_LOGS=1 keeps them whole.
        if (Environment.GetEnvironmentVariable("FLEET_CLUSTER_KEEP_LOGS") == "1")
        {
            Console.WriteLine("cluster logs kept in " + _directory);
        }
        else
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
