using Fleet.Silo.Hosting;
using Fleet.Silo.Mqtt;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Demo;

/// <summary>
/// Brings the demo fleet to life: once the silo runs and the demo credentials exist, fleet-sim's
/// simulated devices connect to this silo's own MQTT port, exactly as real devices would (they
/// know only the protocol), so `dotnet run --project src/Silo` shows a live city.
/// </summary>
public sealed partial class LiveDevices(
    DemoProvisioner demo,
    IHostApplicationLifetime lifetime,
    IOptions<FleetOptions> fleet,
    IOptions<MqttGatewayOptions> mqtt,
    ILogger<LiveDevices> logger) : BackgroundService
{
    private static readonly TimeSpan StatsEvery = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            // The live demo is a convenience; its failure must never take the silo down.
            LogFailed(exception);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var options = fleet.Value.Demo;
        if (!options.LiveDevices || !(options.Enabled || options.Force) || mqtt.Value.Port == 0)
        {
            return;
        }

        await WhenStartedAsync(stoppingToken);
        await demo.Completed.WaitAsync(stoppingToken);

        var all = await CredentialsFile.ReadAsync(demo.CredentialsPath, stoppingToken);
        var simulated = all.Where(device => !IsKeptForHands(device.Id)).ToList();
        var devices = Simulation.Select(simulated, count: options.LiveDeviceCount > 0 ? options.LiveDeviceCount : null);
        var simulatorOptions = new SimulatorOptions
        {
            Endpoints = [new MqttEndpoint("127.0.0.1", mqtt.Value.Port)],
            TelemetryInterval = options.LiveDeviceInterval,
            ClientIdPrefix = "demo-",
        };
        using var simulation = new Simulation(devices, simulatorOptions);
        LogStarting(devices.Count, options.LiveDeviceInterval.TotalSeconds);
        var run = simulation.RunAsync(stoppingToken);
        using var timer = new PeriodicTimer(StatsEvery);
        var last = simulation.Stats.Snapshot(DateTimeOffset.UtcNow);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = simulation.Stats.Snapshot(DateTimeOffset.UtcNow);
                var rate = (now.Published - last.Published) / (now.At - last.At).TotalSeconds;
                LogStats(now.Connected, now.Devices, rate, now.CommandsAnswered, now.Errors);
                last = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await run;
    }

    /// <summary>
    /// The first ten devices of each kind (DU-L-000001 … DU-L-000010 and so on) are never simulated,
    /// so a person can drive them with mosquitto_pub as docs/protocol.md shows, without a simulated
    /// twin taking the connection over or racing its sequence numbers.
    /// </summary>
    public static bool IsKeptForHands(string id) =>
        Fleet.Devices.DeviceKinds.All.Any(kind => Enumerable.Range(1, HandDrivenPerKind).Any(number => DemoFleet.IdOf(kind, number) == id));

    public const int HandDrivenPerKind = 10;

    private Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The live demo devices stopped; the silo goes on without them")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Live demo: {Count} simulated devices connect over MQTT, telemetry every {Seconds:0} s")]
    private partial void LogStarting(int count, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Live demo: {Connected} of {Devices} devices connected, {Rate:0} msg/s, {Commands} commands answered, {Errors} errors")]
    private partial void LogStats(long connected, long devices, double rate, long commands, long errors);
}
