using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Silo.Tests.Hosting;

/// <summary>
/// A real Fleet host (silo + HTTP on Kestrel) on loopback with free ports and its own data
/// directory; it can be stopped and started again on the same store. <see cref="Http"/> carries
/// the bootstrap admin key (set through Fleet:Auth:BootstrapAdminKey unless a test sets that to
/// empty, when the host generates one into its data directory).
/// </summary>
public sealed class FleetHost : IAsyncDisposable
{
    public const string ApiKeyHeader = "X-Api-Key";

    private readonly Dictionary<string, string> _settings;
    private readonly List<HttpClient> _clients = [];
    private WebApplication? _app;

    public FleetHost(IReadOnlyDictionary<string, string>? settings = null, string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "fleet-test-" + Guid.NewGuid().ToString("N"));
        HttpPort = FreePort();
        _settings = new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{HttpPort}",
            ["Fleet:DataDirectory"] = DataDirectory,
            ["Fleet:Demo:Enabled"] = "false",
            ["Fleet:Demo:LiveDevices"] = "false",

            // Tests that speak MQTT pass their own free port; the rest must not collide on 1883.
            ["Fleet:Mqtt:Port"] = "0",
            ["Fleet:Orleans:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Orleans:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Orleans:ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Auth:BootstrapAdminKey"] = "test-admin-" + Guid.NewGuid().ToString("N"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _settings[key] = value;
        }

        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}") };
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The host is not running.");

    public T Service<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public string Setting(string key) => _settings[key];

    /// <summary>The bootstrap admin key: the configured one, or the one the host generated.</summary>
    public string AdminKey => _settings["Fleet:Auth:BootstrapAdminKey"] is { Length: > 0 } configured
        ? configured
        : File.ReadAllText(Path.Combine(DataDirectory, "admin-key.txt")).Trim();

    /// <summary>A client of this host sending <paramref name="apiKey"/> (none when null); disposed with the host.</summary>
    public HttpClient CreateClient(string? apiKey)
    {
        var client = new HttpClient { BaseAddress = Http.BaseAddress };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyHeader, apiKey);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>Creates an API key with <paramref name="role"/> through the API (as admin) and returns the key.</summary>
    public async Task<string> CreateKeyAsync(string role, string? name = null)
    {
        using var response = await Http.PostAsJsonAsync("/api/keys", new { name = name ?? $"test-{role}", role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return created["key"]!.GetValue<string>();
    }

    /// <summary>A client with a fresh key of <paramref name="role"/>.</summary>
    public async Task<HttpClient> ClientWithRoleAsync(string role, string? name = null) => CreateClient(await CreateKeyAsync(role, name));

    public async Task StartAsync()
    {
        _app = FleetApp.Build([.. _settings.Select(setting => $"--{setting.Key}={setting.Value}")]);
        try
        {
            await _app.StartAsync();
        }
        catch
        {
            // A start refused by options validation leaves nothing to stop.
            await _app.DisposeAsync();
            _app = null;
            throw;
        }

        Http.DefaultRequestHeaders.Remove(ApiKeyHeader);
        Http.DefaultRequestHeaders.Add(ApiKeyHeader, AdminKey);
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    /// <summary>
    /// A loopback port that is free now, taken below Linux's ephemeral range (32768–60999): a port
    /// the OS handed out would be handed out again to an outgoing connection before the host binds it.
    /// </summary>
    public static int FreePort()
    {
        var start = Random.Shared.Next(20_000, 32_000);
        for (var port = start; port < 32_700; port++)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try the next one.
            }
        }

        throw new InvalidOperationException($"No free loopback port between {start} and 32700.");
    }
}
