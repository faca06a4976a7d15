using System.Net;
using Fleet.Simulator.Behaviour;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.Simulator.Engine;

/// <summary>How the simulated devices connect and behave. <see cref="Validate"/> names a bad setting.</summary>
public sealed record SimulatorOptions
{
    /// <summary>Silos (or brokers) to connect to; a device starts at its own offset and moves to the next on failure.</summary>
    public IReadOnlyList<MqttEndpoint> Endpoints { get; init; } = [new("127.0.0.1", MqttEndpoint.DefaultPort)];

    /// <summary>Local addresses to bind device sockets to, assigned round-robin; empty = let the OS choose.</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; init; } = [];

    public TimeSpan TelemetryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Each interval is drawn from interval × [1 − jitter, 1 + jitter].</summary>
    public double TelemetryJitter { get; init; } = 0.2;

    /// <summary>Share of valid commands that succeed; the rest fail as if the hardware did not respond.</summary>
    public double CommandSuccessRate { get; init; } = 1.0;

    /// <summary>Time a device takes to carry out a command, drawn uniformly from [min, max].</summary>
    public TimeSpan CommandDelayMin { get; init; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan CommandDelayMax { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    public double BackoffJitter { get; init; } = 0.5;

    /// <summary>A session that lasted this long resets the backoff; shorter ones keep growing it (no flapping storm).</summary>
    public TimeSpan StableSessionAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this many devices are in the middle of connecting (TCP + CONNECT + SUBSCRIBE) at once.</summary>
    public int ConnectConcurrency { get; init; } = 32;

    public MqttQualityOfServiceLevel TelemetryQos { get; init; } = MqttQualityOfServiceLevel.AtLeastOnce;

    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V500;

    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>CONNACK / PUBACK / SUBACK timeout.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an access point is gone after a reboot command.</summary>
    public TimeSpan RebootDuration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Seeds every device's random (with its id), so a run can be repeated.</summary>
    public int Seed { get; init; } = 4711;

    /// <summary>
    /// The boot number sent with every report. The simulator keeps no state on disk, so it starts
    /// each run with its start time in Unix seconds and seq 0: (boot, seq) still only grows.
    /// </summary>
    public long? Boot { get; init; }

    public string ClientIdPrefix { get; init; } = "sim-";

    public ModelSettings Behaviour { get; init; } = new();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Telemetry waits for this before a device's first report: a benchmark connects the whole
    /// fleet first, then starts every device's reports together. Connecting, state reports and
    /// commands do not wait.
    /// </summary>
    public Task TelemetryStart { get; init; } = Task.CompletedTask;

    public void Validate()
    {
        Check(Endpoints.Count > 0, "Endpoints: at least one endpoint is needed.");
        Check(TelemetryInterval > TimeSpan.Zero, "TelemetryInterval must be positive.");
        Check(TelemetryJitter is >= 0 and < 1, "TelemetryJitter must be within [0, 1).");
        Check(CommandSuccessRate is >= 0 and <= 1, "CommandSuccessRate must be within [0, 1].");
        Check(CommandDelayMin >= TimeSpan.Zero && CommandDelayMax >= CommandDelayMin, "CommandDelayMin/Max must satisfy 0 <= min <= max.");
        Check(BackoffInitial > TimeSpan.Zero && BackoffMax >= BackoffInitial, "BackoffInitial/Max must satisfy 0 < initial <= max.");
        Check(BackoffJitter is >= 0 and <= 1, "BackoffJitter must be within [0, 1].");
        Check(ConnectConcurrency >= 1, "ConnectConcurrency must be at least 1.");
        Check(KeepAlive >= TimeSpan.Zero, "KeepAlive must not be negative.");
        Check(ResponseTimeout > TimeSpan.Zero, "ResponseTimeout must be positive.");
        Check(RebootDuration >= TimeSpan.Zero, "RebootDuration must not be negative.");
        Check(Behaviour.FaultScale >= 0, "Behaviour.FaultScale must not be negative.");
        Check(Boot is null or >= 0, "Boot must not be negative.");
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException("Simulator option " + message);
        }
    }
}
