using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Fleet.Cluster.Tests;

/// <summary>
/// The PostgreSQL the cluster tests run on: a fresh database on the server named by
/// FLEET_TEST_POSTGRES (the test script starts one), or — for a test that must stop and restart
/// PostgreSQL — a throw-away server of its own, started with pg_ctl on a free loopback port the
/// way test.sh starts its own.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string ServerVariable = "FLEET_TEST_POSTGRES";

    private readonly string? _ownDirectory;
    private readonly string? _bin;
    private readonly int _port;

    private PostgresServer(string serverConnectionString, string? ownDirectory = null, string? bin = null, int port = 0)
    {
        ServerConnectionString = serverConnectionString;
        _ownDirectory = ownDirectory;
        _bin = bin;
        _port = port;
    }

    /// <summary>Connects to the server's maintenance database (postgres or the one named).</summary>
    public string ServerConnectionString { get; }

    public static PostgresServer Shared()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            Assert.Fail(
                $"{ServerVariable} is not set. The cluster tests run silos on a real PostgreSQL: set it to a connection string such as " +
                "'Host=127.0.0.1;Port=55432;Username=postgres;Database=fleet_test' (./test.sh starts PostgreSQL and sets it).");
        }

        return new PostgresServer(server!);
    }

    /// <summary>initdb + pg_ctl start of a server only this test uses; as the postgres user when running as root.</summary>
    public static async Task<PostgresServer> StartOwnAsync()
    {
        var initdb = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin", "initdb"))
                .Where(File.Exists)
                .OrderBy(path => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path))), CultureInfo.InvariantCulture, out var major) ? major : 0)
                .LastOrDefault()
            : null;
        if (initdb is null)
        {
            Assert.Fail("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb) are missing: ./test.sh installs them (apt-get install postgresql).");
        }

        var bin = Path.GetDirectoryName(initdb)!;
        var directory = Directory.CreateTempSubdirectory("fleet-cluster-pg.").FullName;
        await RunAsync("chown", "postgres:postgres", directory);
        var port = SiloProcess.FreePort();
        var server = new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres", directory, bin, port);
        await server.AsPostgresAsync("initdb", "-D", server.DataPath, "-A", "trust", "-U", "postgres");
        await server.StartAsync();
        return server;
    }

    private string DataPath => Path.Combine(_ownDirectory!, "data");

    /// <summary>Starts the own server (again).</summary>
    public Task StartAsync() => AsPostgresAsync(
        "pg_ctl", "-D", DataPath, "-l", Path.Combine(_ownDirectory!, "log"), "-w", "start",
        "-o", $"-p {_port} -k {_ownDirectory} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off");

    /// <summary>Stops the own server at once (fast shutdown: open sessions are cut).</summary>
    public Task StopAsync() => AsPostgresAsync("pg_ctl", "-D", DataPath, "-m", "fast", "-w", "stop");

    /// <summary>A fresh database; its connection string bounds each silo's pool so three silos fit the server.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "fleet_cluster_" + Guid.NewGuid().ToString("N")[..12];
        await AdminAsync($"CREATE DATABASE {name}");
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, MaxPoolSize = 40 }.ToString();
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await AdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownDirectory is null)
        {
            return;
        }

        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_ownDirectory, recursive: true);
    }

    private async Task AdminAsync(string sql)
    {
        var connection = new NpgsqlConnection(ServerConnectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand(sql, connection);
            await using (command)
            {
                await command.ExecuteNonQueryAsync();
            }
        }
    }

    private Task AsPostgresAsync(string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin!, tool);
        return Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
