using System.Diagnostics;
using System.Globalization;
using System.Text;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Silo.Api;
using Fleet.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Demo;

/// <summary>
/// Provisions the demo fleet once the silo runs, unless its credentials file already exists
/// (or --demo forces it), and writes the credentials (kind,id,secret) to that file. A device that
/// already exists gets a new secret, so the file always holds working credentials.
/// </summary>
public sealed partial class DemoProvisioner(
    IGrainFactory grains,
    IOptions<FleetOptions> options,
    ILogger<DemoProvisioner> logger) : BackgroundService
{
    private const int Parallelism = 64;

    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The demo fleet and, with live devices, the simulated devices that bring it to life.</summary>
    public static IServiceCollection AddFleetDemo(IServiceCollection services)
    {
        services.AddSingleton<DemoProvisioner>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoProvisioner>());
        services.AddHostedService<LiveDevices>();
        return services;
    }

    /// <summary>Completes when the demo credentials file is there (or the demo is off).</summary>
    public Task Completed => _completed.Task;

    public string CredentialsPath => Path.GetFullPath(Path.Combine(options.Value.DataDirectory, options.Value.Demo.CredentialsFile));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ProvisionAsync(stoppingToken);
            _completed.TrySetResult();
        }
        catch (Exception exception)
        {
            _completed.TrySetException(exception);
            throw;
        }
    }

    private async Task ProvisionAsync(CancellationToken stoppingToken)
    {
        var demo = options.Value.Demo;
        if (!demo.Enabled && !demo.Force)
        {
            return;
        }

        if (File.Exists(CredentialsPath) && !demo.Force)
        {
            LogDemoPresent(CredentialsPath);
            return;
        }

        var requests = DemoFleet.Generate(demo.Lamps, demo.ParkingBays, demo.AccessPoints, demo.Meters).ToList();
        LogProvisioning(requests.Count);
        var stopwatch = Stopwatch.StartNew();
        var lines = new string[requests.Count];
        var done = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, requests.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken },
            async (index, _) =>
            {
                var request = requests[index];
                lines[index] = CredentialsLine(request, await SecretOfAsync(request));
                if (Interlocked.Increment(ref done) % 1000 == 0)
                {
                    LogProgress(done, requests.Count);
                }
            });

        await WriteCredentialsAsync(lines, stoppingToken);
        LogDemoReady(requests.Count, stopwatch.Elapsed.TotalSeconds, CredentialsPath);
    }

    /// <summary>kind,id,secret plus what a simulated device needs to behave like the real one.</summary>
    public const string CredentialsHeader = "kind,id,secret,borough,ratedWatts,medium";

    private static string CredentialsLine(ProvisionRequest request, string secret) => string.Join(
        ',',
        request.Kind,
        request.Id,
        secret,
        Csv.Escape(request.Metadata!.Borough),
        request.Metadata.RatedWatts?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
        request.Metadata.Medium ?? string.Empty);

    private async Task<string> SecretOfAsync(ProvisionRequest request)
    {
        if (!DeviceKinds.TryParse(request.Kind, out var kind))
        {
            throw new InvalidOperationException($"The demo fleet has a device of unknown kind '{request.Kind}'.");
        }

        var twin = grains.GetTwin(kind, request.Id!);
        var created = await twin.Provision(request.Metadata!);
        var secret = created.Outcome == TwinOutcome.AlreadyExists ? (await twin.RotateSecret()).Secret : created.Secret;
        return secret ?? throw new InvalidOperationException($"Provisioning demo device {request.Kind}/{request.Id} failed: {created.Error}");
    }

    private async Task WriteCredentialsAsync(string[] lines, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CredentialsPath)!);
        var temporary = CredentialsPath + ".tmp";
        await File.WriteAllTextAsync(temporary, CredentialsHeader + "\n" + string.Join('\n', lines) + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, CredentialsPath, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo fleet present; its credentials are in {Path} (start with --demo to re-issue them)")]
    private partial void LogDemoPresent(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provisioning the demo Duisburg fleet: {Count} devices")]
    private partial void LogProvisioning(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo fleet: {Done} of {Count} devices provisioned")]
    private partial void LogProgress(int done, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo fleet ready: {Count} devices in {Seconds:0.0} s; device credentials (kind,id,secret) are in {Path}")]
    private partial void LogDemoReady(int count, double seconds, string path);
}
