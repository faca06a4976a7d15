using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Bench;

/// <summary>
/// P2: command round trips at a fixed rate (open loop: a command leaves every 1/rate s whether or
/// not earlier ones came back) to simulated lamps that answer at once. Fleet: HTTP POST
/// …/commands?wait=5s → twin grain → MQTT → device → result → HTTP 200. Reference: a requester
/// publishes the same command through mosquitto to the same simulated devices and waits for their
/// result message.
/// </summary>
internal static class CommandsBench
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var target = args.Text("target", "fleet");
        var endpoint = MqttEndpoint.Parse(args.Required("endpoint"));
        var all = await CredentialsFile.ReadAsync(args.Required("credentials"), cancellationToken);
        var devices = Simulation.Select(all, kinds: ["lamp"], count: args.Int("devices", 1000));
        var rate = args.Int("rate", 1000);
        var duration = args.Duration("duration", TimeSpan.FromSeconds(15));
        var warmup = args.Duration("warmup", TimeSpan.FromSeconds(3));
        var result = new BenchResult("P2-" + target);

        var options = new SimulatorOptions
        {
            Endpoints = [endpoint],
            SourceAddresses = args.Sources("sources"),
            TelemetryInterval = TimeSpan.FromMinutes(10),
            CommandDelayMin = TimeSpan.Zero,
            CommandDelayMax = TimeSpan.Zero,
            ConnectConcurrency = 64,
            ClientIdPrefix = "cmd-",
            Behaviour = new Simulator.Behaviour.ModelSettings { FaultScale = 0 },
        };
        using var simulation = new Simulation(devices, options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = simulation.RunAsync(stop.Token);
        await using var requester = target == "fleet"
            ? (IRequester)new HttpRequester(args.Required("url"), args.Required("key"))
            : await MqttRequester.StartAsync(endpoint, cancellationToken);
        try
        {
            var clock = Stopwatch.StartNew();
            while (simulation.Stats.Snapshot(DateTimeOffset.UtcNow).Connected < devices.Count && clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(500, cancellationToken);
            }

            // Warm up at the same rate, then measure.
            await DriveAsync(requester, devices, rate, warmup, [], cancellationToken);
            var latencies = new ConcurrentBag<double>();
            var failed = await DriveAsync(requester, devices, rate, duration, latencies, cancellationToken);
            var sorted = latencies.Order().ToList();
            result["devices"] = devices.Count;
            result["offeredPerSecond"] = rate;
            result["completedPerSecond"] = sorted.Count / duration.TotalSeconds;
            result["p50Ms"] = Percentiles.Of(sorted, 50);
            result["p99Ms"] = Percentiles.Of(sorted, 99);
            result["maxMs"] = sorted.Count > 0 ? sorted[^1] : double.NaN;
            result["failed"] = failed;
            Console.WriteLine($"{target}: {sorted.Count / duration.TotalSeconds:N0} commands/s completed of {rate:N0} offered; p50 {result["p50Ms"]:F1} ms, p99 {result["p99Ms"]:F1} ms, max {result["maxMs"]:F1} ms, {failed} failed");
        }
        finally
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await result.SaveAsync(args, cancellationToken);
        return 0;
    }

    /// <summary>Sends one command every 1/rate s for the duration; returns how many did not succeed.</summary>
    private static async Task<long> DriveAsync(IRequester requester, IReadOnlyList<DeviceCredentials> devices, int rate, TimeSpan duration, ConcurrentBag<double> latencies, CancellationToken cancellationToken)
    {
        var failed = 0L;
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var sent = 0L;
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            for (; sent < due; sent++)
            {
                var device = devices[(int)(sent % devices.Count)];
                var level = (int)(sent % 100);
                inFlight.Add(Task.Run(
                    async () =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        bool succeeded;
                        try
                        {
                            succeeded = await requester.SendAsync(device, level, cancellationToken);
                        }
                        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or TimeoutException or MQTTnet.Exceptions.MqttCommunicationException)
                        {
                            succeeded = false; // timed out or refused: a failed round trip, not a failed benchmark
                        }

                        if (succeeded)
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        }
                        else
                        {
                            Interlocked.Increment(ref failed);
                        }
                    },
                    cancellationToken));
            }

            await Task.Delay(1, cancellationToken);
        }

        await Task.WhenAll(inFlight);
        return failed;
    }

    private interface IRequester : IAsyncDisposable
    {
        Task<bool> SendAsync(DeviceCredentials device, int level, CancellationToken cancellationToken);
    }

    private sealed class HttpRequester(string url, string key) : IRequester
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestHeaders = { { "X-Api-Key", key } },
        };

        public async Task<bool> SendAsync(DeviceCredentials device, int level, CancellationToken cancellationToken)
        {
            using var body = new StringContent(string.Create(CultureInfo.InvariantCulture, $$$"""{"name":"dim","args":{"level":{{{level}}}}}"""), Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(new Uri($"/api/devices/{device.Kind}/{device.Id}/commands?wait=5s", UriKind.Relative), body, cancellationToken);
            return response.StatusCode == HttpStatusCode.OK
                && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains("\"succeeded\"", StringComparison.Ordinal);
        }

        public ValueTask DisposeAsync()
        {
            _http.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Publishes commands as Fleet would and matches the devices' result messages by command id.</summary>
    private sealed class MqttRequester : IRequester
    {
        private readonly IMqttClient _client;
        private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _waiting = new(StringComparer.Ordinal);
        private long _next;

        private MqttRequester(IMqttClient client) => _client = client;

        public static async Task<MqttRequester> StartAsync(MqttEndpoint endpoint, CancellationToken cancellationToken)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            var requester = new MqttRequester(client);
            client.ApplicationMessageReceivedAsync += e =>
            {
                // fleet/{kind}/{id}/commands/{commandId}/result
                var parts = e.ApplicationMessage.Topic.Split('/');
                if (parts.Length == 6 && requester._waiting.TryRemove(parts[4], out var waiting))
                {
                    waiting.TrySetResult(e.ApplicationMessage.ConvertPayloadToString().Contains("\"succeeded\"", StringComparison.Ordinal));
                }

                return Task.CompletedTask;
            };
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithEndPoint(endpoint.ToEndPoint()).WithClientId("bench-requester").Build(), cancellationToken);
            await client.SubscribeAsync(
                new MqttClientSubscribeOptionsBuilder().WithTopicFilter("fleet/+/+/commands/+/result", MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cancellationToken);
            return requester;
        }

        public async Task<bool> SendAsync(DeviceCredentials device, int level, CancellationToken cancellationToken)
        {
            var id = "c" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
            var answered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[id] = answered;
            var expires = DateTimeOffset.UtcNow.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            await _client.PublishAsync(
                new MqttApplicationMessageBuilder()
                    .WithTopic($"fleet/{device.Kind}/{device.Id}/commands/{id}")
                    .WithPayload(string.Create(CultureInfo.InvariantCulture, $$$"""{"name":"dim","args":{"level":{{{level}}}},"expiresAt":"{{{expires}}}"}"""))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build(),
                cancellationToken);
            try
            {
                return await answered.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (TimeoutException)
            {
                _waiting.TryRemove(id, out _);
                return false;
            }
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
