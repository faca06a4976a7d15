using System.Globalization;
using Npgsql;

namespace Fleet.Silo.Tests.Storage;

/// <summary>
/// A fresh database on the PostgreSQL server named by FLEET_TEST_POSTGRES, dropped afterwards,
/// so tests sharing the server never see each other's rows.
/// </summary>
public sealed class PostgreSqlTestDatabase : IAsyncDisposable
{
    public const string ServerVariable = "FLEET_TEST_POSTGRES";

    private readonly string _server;
    private readonly string _name;

    private PostgreSqlTestDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }

    public string ConnectionString { get; }

    public static async Task<PostgreSqlTestDatabase> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            Assert.Fail(
                $"{ServerVariable} is not set. The PostgreSQL storage tests need a real server: set it to a connection string such as " +
                "'Host=127.0.0.1;Port=55432;Username=postgres;Database=fleet_test' (the test script starts PostgreSQL and sets it).");
        }

        var name = "fleet_test_" + Guid.NewGuid().ToString("N")[..16];
        await AdminAsync(server, $"CREATE DATABASE {name}");
        return new PostgreSqlTestDatabase(server, name);
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand(sql, connection);
            await using (command)
            {
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                var result = await command.ExecuteScalarAsync();
                return result is null or DBNull ? default : (T)Convert.ChangeType(result, typeof(T), CultureInfo.InvariantCulture);
            }
        }
    }

    public async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand(sql, connection);
            await using (command)
            {
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                return await command.ExecuteNonQueryAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AdminAsync(_server, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
    }

    private static async Task AdminAsync(string server, string sql)
    {
        var connection = new NpgsqlConnection(server);
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
}
