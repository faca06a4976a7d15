using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet.Cluster.Tests;

/// <summary>
/// One Fleet silo as a real process: <c>dotnet Fleet.Silo.dll</c> from the Silo project's build
/// output, configured only through environment variables (as a container would be), with its own
/// ports and data directory, its output kept in a log file. It can be killed (SIGKILL), stopped
/// (SIGTERM) and started again on the same ports.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _settings;
    private readonly Lock _logLock = new();
    private Process? _process;
    private StreamWriter? _log;

    public SiloProcess(string name, string directory, IReadOnlyDictionary<string, string> settings)
    {
        Name = name;
        DataDirectory = Path.Combine(directory, name);
        LogPath = Path.Combine(directory, name + ".log");
        SiloPort = FreePort();
        GatewayPort = FreePort();
        MqttPort = FreePort();
        HttpPort = FreePort();
        _settings = new Dictionary<string, string>(settings)
        {
            ["Fleet:DataDirectory"] = DataDirectory,
            ["Fleet:Orleans:SiloPort"] = Text(SiloPort),
            ["Fleet:Orleans:GatewayPort"] = Text(GatewayPort),
            ["Fleet:Mqtt:Port"] = Text(MqttPort),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HttpPort}",
        };
    }

    public string Name { get; }

    public string DataDirectory { get; }

    public string LogPath { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int MqttPort { get; }

    public int HttpPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Where the silo's build output is: src/Silo/bin/{the tests' configuration}/{framework}/Fleet.Silo.dll.</summary>
    public static string SiloAssembly
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = output.Name;
            var configuration = output.Parent!.Name;
            var root = output;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Fleet.sln")))
            {
                root = root.Parent;
            }

            var path = root is null ? null : Path.Combine(root.FullName, "src", "Silo", "bin", configuration, framework, "Fleet.Silo.dll");
            if (path is null || !File.Exists(path))
            {
                Assert.Fail($"The silo's build output {path ?? "src/Silo/bin/…/Fleet.Silo.dll"} is missing: build Fleet.sln first (./test.sh does).");
            }

            return path!;
        }
    }

    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }

        Directory.CreateDirectory(DataDirectory);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = DataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SiloAssembly);
        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        lock (_logLock)
        {
            _log ??= new StreamWriter(LogPath, append: true, Encoding.UTF8) { AutoFlush = true };
            _log.WriteLine($"==== {DateTimeOffset.UtcNow:O} starting {Name}");
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Waits until /health/ready answers 200; fails with the log's tail when the process dies first.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (!IsRunning)
            {
                Assert.Fail($"{Name} exited with {_process?.ExitCode} before it was ready.\n{LogTail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{Name} was not ready within {timeout.TotalSeconds:0} s.\n{LogTail()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>kill -9: the process dies at once, its sockets are reset, nothing is flushed.</summary>
    public void Kill()
    {
        Log("==== SIGKILL from the test");
        _process?.Kill(entireProcessTree: false);
        _process?.WaitForExit();
    }

    /// <summary>SIGTERM, as a container runtime or systemd stops a service; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started.");
        Log("==== SIGTERM from the test");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{Name} did not exit within {timeout.TotalSeconds:0} s of SIGTERM.\n{LogTail()}");
        }

        return process.ExitCode;
    }

    /// <summary>Waits for a process that is expected to end by itself; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started.");
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return process.ExitCode;
    }

    public string LogTail(int lines = 40)
    {
        lock (_logLock)
        {
            _log?.Flush();
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return $"--- last lines of {LogPath} ---\n" + string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return $"(no log at {LogPath})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            _process!.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
