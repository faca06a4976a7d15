using System.Diagnostics;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;

namespace Fleet.Bench;

/// <summary>
/// P7: how many MQTT connections one silo holds, and its resident memory per connection. The
/// devices connect (authenticated, subscribed, their twins online) and then stay quiet: telemetry
/// once an hour, so what is measured is the held connection.
/// </summary>
internal static class ConnectionsBench
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var endpoint = MqttEndpoint.Parse(args.Required("endpoint"));
        var all = await CredentialsFile.ReadAsync(args.Required("credentials"), cancellationToken);
        var devices = Simulation.Select(all, count: args.Int("devices", 19_000));
        var serverPid = args.Int("server-pid", 0);
        var settle = args.Duration("settle", TimeSpan.FromSeconds(15));
        var result = new BenchResult("P7");

        var rssBefore = serverPid > 0 ? ProcessStats.RssBytes(serverPid) : 0;
        var filesBefore = serverPid > 0 ? ProcessStats.OpenFiles(serverPid) : 0;
        var options = new SimulatorOptions
        {
            Endpoints = [endpoint],
            SourceAddresses = args.Sources("sources"),
            TelemetryInterval = TimeSpan.FromHours(1),
            ConnectConcurrency = args.Int("connect-concurrency", 64),
            KeepAlive = TimeSpan.FromMinutes(5),
            ResponseTimeout = TimeSpan.FromSeconds(30),
            BackoffInitial = TimeSpan.FromSeconds(2),
            BackoffMax = TimeSpan.FromSeconds(30),
            ClientIdPrefix = "hold-",
            Behaviour = new Simulator.Behaviour.ModelSettings { FaultScale = 0 },
        };
        using var simulation = new Simulation(devices, options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = simulation.RunAsync(stop.Token);
        try
        {
            var clock = Stopwatch.StartNew();
            var timeout = args.Duration("connect-timeout", TimeSpan.FromMinutes(4));
            long connected;
            while ((connected = simulation.Stats.Snapshot(DateTimeOffset.UtcNow).Connected) < devices.Count && clock.Elapsed < timeout)
            {
                await Task.Delay(1000, cancellationToken);
            }

            result["connectSeconds"] = clock.Elapsed.TotalSeconds;
            result["connectPerSecond"] = connected / clock.Elapsed.TotalSeconds;
            await Task.Delay(settle, cancellationToken);
            var snapshot = simulation.Stats.Snapshot(DateTimeOffset.UtcNow);
            result["devices"] = devices.Count;
            result["connected"] = snapshot.Connected;
            result["connectFailures"] = snapshot.ConnectFailures;
            if (serverPid > 0)
            {
                var rss = ProcessStats.RssBytes(serverPid);
                result["serverRssBeforeMiB"] = rssBefore / 1048576.0;
                result["serverRssMiB"] = rss / 1048576.0;
                result["rssBytesPerConnection"] = (rss - rssBefore) / (double)Math.Max(1, snapshot.Connected);
                result["serverOpenFilesBefore"] = filesBefore;
                result["serverOpenFiles"] = ProcessStats.OpenFiles(serverPid);
            }

            if (snapshot.LastError is { } error)
            {
                result.Notes.Add("last simulator error: " + error);
            }

            Console.WriteLine($"{snapshot.Connected:N0} of {devices.Count:N0} connections held; server RSS {result["serverRssBeforeMiB"]:N0} → {result["serverRssMiB"]:N0} MiB");
        }
        finally
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await result.SaveAsync(args, cancellationToken);
        return 0;
    }
}
