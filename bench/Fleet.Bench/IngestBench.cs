using System.Diagnostics;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Bench;

/// <summary>
/// P1: QoS 1 telemetry from N simulated devices (fleet-sim's own devices) into one endpoint —
/// Fleet's MQTT gateway (telemetry goes into twin grains) or mosquitto (relayed to one subscriber).
/// Counts telemetry the endpoint PUBACKed over a steady window, and the endpoint's CPU.
/// </summary>
internal static class IngestBench
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var target = args.Text("target", "fleet");
        var endpoint = MqttEndpoint.Parse(args.Required("endpoint"));
        var all = await CredentialsFile.ReadAsync(args.Required("credentials"), cancellationToken);
        var devices = Simulation.Select(all, count: args.Int("devices", 10_000));
        var interval = args.Duration("interval", TimeSpan.FromSeconds(1));
        var warmup = args.Duration("warmup", TimeSpan.FromSeconds(10));
        var measure = args.Duration("measure", TimeSpan.FromSeconds(20));
        var serverPid = args.Int("server-pid", 0);

        // Every device connects first, then all start reporting: msgs/s is measured with the whole
        // fleet connected, and connecting does not compete with telemetry (P7 measures connecting).
        var telemetryStart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new SimulatorOptions
        {
            Endpoints = [endpoint],
            SourceAddresses = args.Sources("sources"),
            TelemetryInterval = interval,
            TelemetryJitter = 0.2,
            ConnectConcurrency = args.Int("connect-concurrency", 64),
            TelemetryStart = telemetryStart.Task,
            KeepAlive = TimeSpan.FromMinutes(2),
            ResponseTimeout = TimeSpan.FromSeconds(30),
            ClientIdPrefix = "bench-",
            Behaviour = new Simulator.Behaviour.ModelSettings { FaultScale = 0 },
        };

        var result = new BenchResult("P1-" + target);
        using var simulation = new Simulation(devices, options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var relay = target == "mosquitto" ? await Subscriber.StartAsync(endpoint, cancellationToken) : null;
        var run = simulation.RunAsync(stop.Token);
        try
        {
            var connectClock = Stopwatch.StartNew();
            var connectTimeout = args.Duration("connect-timeout", TimeSpan.FromMinutes(3));
            while (simulation.Stats.Snapshot(DateTimeOffset.UtcNow).Connected < devices.Count && connectClock.Elapsed < connectTimeout)
            {
                await Task.Delay(500, cancellationToken);
            }

            result["connectSeconds"] = connectClock.Elapsed.TotalSeconds;
            telemetryStart.TrySetResult();
            Console.WriteLine($"{target}: {simulation.Stats.Snapshot(DateTimeOffset.UtcNow).Connected:N0} of {devices.Count:N0} devices connected in {connectClock.Elapsed.TotalSeconds:F0} s; warming up {warmup.TotalSeconds:F0} s");
            await Task.Delay(warmup, cancellationToken);

            var before = simulation.Stats.Snapshot(DateTimeOffset.UtcNow);
            var relayedBefore = relay?.Received ?? 0;
            var server = serverPid > 0 ? new ProcessStats.CpuWindow(serverPid) : null;
            var generator = new ProcessStats.CpuWindow(ProcessStats.Self);
            await Task.Delay(measure, cancellationToken);
            var after = simulation.Stats.Snapshot(DateTimeOffset.UtcNow);
            var seconds = (after.At - before.At).TotalSeconds;

            result["devices"] = devices.Count;
            result["connected"] = after.Connected;
            result["intervalSeconds"] = interval.TotalSeconds;
            result["offeredPerSecond"] = devices.Count / interval.TotalSeconds;
            result["ackedPerSecond"] = (after.Telemetry - before.Telemetry) / seconds;
            result["serverCpuPercent"] = server?.Percent ?? double.NaN;
            result["generatorCpuPercent"] = generator.Percent;
            result["errors"] = after.Errors - before.Errors;
            result["reconnects"] = after.Reconnects - before.Reconnects;
            if (relay is not null)
            {
                result["relayedPerSecond"] = (relay.Received - relayedBefore) / seconds;
            }

            Console.WriteLine(
                $"{target}: {result["ackedPerSecond"]:N0} msg/s PUBACKed of {result["offeredPerSecond"]:N0} offered, endpoint CPU {result["serverCpuPercent"]:N0} %, generator CPU {result["generatorCpuPercent"]:N0} %" +
                (relay is null ? string.Empty : $", {result["relayedPerSecond"]:N0} msg/s relayed"));
            if (after.LastError is { } error)
            {
                result.Notes.Add("last simulator error: " + error);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
            if (relay is not null)
            {
                await relay.DisposeAsync();
            }
        }

        await result.SaveAsync(args, cancellationToken);
        return 0;
    }

    /// <summary>The other end of the relay: one client subscribed at QoS 1 to every device's telemetry.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly IMqttClient _client;
        private long _received;

        private Subscriber(IMqttClient client) => _client = client;

        public long Received => Interlocked.Read(ref _received);

        public static async Task<Subscriber> StartAsync(MqttEndpoint endpoint, CancellationToken cancellationToken)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            var subscriber = new Subscriber(client);
            client.ApplicationMessageReceivedAsync += _ =>
            {
                Interlocked.Increment(ref subscriber._received);
                return Task.CompletedTask;
            };
            await client.ConnectAsync(
                new MqttClientOptionsBuilder().WithEndPoint(endpoint.ToEndPoint()).WithClientId("bench-relay-subscriber").WithCleanSession().Build(),
                cancellationToken);
            await client.SubscribeAsync(
                new MqttClientSubscribeOptionsBuilder().WithTopicFilter("fleet/+/+/telemetry", MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cancellationToken);
            return subscriber;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _client.DisconnectAsync();
            }
            catch (Exception)
            {
                // The broker may already be gone.
            }

            _client.Dispose();
        }
    }
}
