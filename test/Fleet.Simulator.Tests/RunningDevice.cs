using Fleet.Simulator.Behaviour;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Tests;

/// <summary>A simulated device running in the background for one test; disposing stops it cleanly.</summary>
public sealed class RunningDevice : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public RunningDevice(DeviceCredentials credentials, SimulatorOptions options, DevicePlacement? placement = null)
    {
        Device = new SimulatedDevice(credentials, options, placement);
        _run = Device.RunAsync(_stop.Token);
    }

    public SimulatedDevice Device { get; }

    /// <summary>Fast timings for tests: 100 ms telemetry, 50–400 ms backoff, no faults.</summary>
    public static SimulatorOptions Options(params MqttEndpoint[] endpoints) => new()
    {
        Endpoints = endpoints,
        TelemetryInterval = TimeSpan.FromMilliseconds(100),
        CommandDelayMin = TimeSpan.Zero,
        CommandDelayMax = TimeSpan.FromMilliseconds(10),
        BackoffInitial = TimeSpan.FromMilliseconds(50),
        BackoffMax = TimeSpan.FromMilliseconds(400),
        StableSessionAfter = TimeSpan.FromSeconds(1),
        ResponseTimeout = TimeSpan.FromSeconds(3),
        KeepAlive = TimeSpan.FromSeconds(5),
        RebootDuration = TimeSpan.FromMilliseconds(100),
        Behaviour = new ModelSettings { FaultScale = 0 },
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        Device.Dispose();
        _stop.Dispose();
    }
}
