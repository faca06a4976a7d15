using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Silo.Tests.Hosting;

/// <summary>
/// A real Fleet host (silo + HTTP on Kestrel) on loopback with free ports and its own data
/// directory; it can be stopped and started again on the same store.
/// </summary>
public sealed class FleetHost : IAsyncDisposable
{
    private readonly Dictionary<string, string> _settings;
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
            ["Fleet:Orleans:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Orleans:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Orleans:ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["Logging:LogLevel:Default"] = "Warning",
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

    public async Task StartAsync()
    {
        _app = FleetApp.Build([.. _settings.Select(setting => $"--{setting.Key}={setting.Value}")]);
        await _app.StartAsync();
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
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
