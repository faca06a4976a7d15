using System.Globalization;
using Xunit.Abstractions;

namespace Fleet.Cluster.Tests;

/// <summary>
/// An upgrade as operations would run it: each silo in turn gets SIGTERM, drains (devices are
/// sent to the other silos, twins write what they held back, the silo leaves the cluster), exits
/// cleanly and starts again — under device and operator load (desired changes, commands), and
/// nothing is lost or carried out twice.
/// </summary>
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    private const int Devices = 300;
    private const int Markers = 30;

    [Fact]
    public async Task RestartingEverySiloInTurnWithSigtermLosesNothing()
    {
        // Telemetry is held back for ten minutes here, so what survives the roll was written by the
        // drain (twin deactivation), not by the write timer.
        await using var cluster = await FleetCluster.StartAsync(
            PostgresServer.Shared(),
            settings: new Dictionary<string, string> { ["Fleet:Twins:TelemetryWriteDelay"] = "00:10:00" });
        var lamps = await FleetApi.ProvisionAsync(cluster.Http(cluster.Silos[0], TimeSpan.FromMinutes(5)), "RR", lamps: Devices + Markers, meters: 0);
        var simulated = lamps.Take(Devices).ToList();
        var markers = lamps.Skip(Devices).ToList();

        // Marker lamps report a firmware string once and go; only memory holds it until the roll.
        var endpoints = cluster.MqttEndpoints;
        for (var i = 0; i < markers.Count; i++)
        {
            Assert.True(await OneShotDevice.TryReportAsync(endpoints[i % endpoints.Count], markers[i], $$"""{"seq": 1, "firmware": "roll-{{i}}"}"""));
        }

        await using var fleet = new DeviceFleet(cluster, simulated);
        await Poll.UntilAsync(() => fleet.ConnectedCount() == simulated.Count, "every device to connect", TimeSpan.FromMinutes(3), fleet.Describe);

        using var stop = new CancellationTokenSource();
        var desired = new DesiredChanges(cluster, simulated.Take(150).ToList());
        var load = desired.RunAsync(stop.Token);
        await Poll.UntilAsync(() => desired.Count >= 30, "the first desired changes", TimeSpan.FromMinutes(1));

        // Commands go to the lamps without desired load, a batch into each silo that is about to stop.
        var commands = new CommandLedger(cluster);
        var commandLamps = simulated.Skip(150).ToList();
        for (var i = 0; i < cluster.Silos.Count; i++)
        {
            var silo = cluster.Silos[i];
            for (var c = 0; c < 10; c++)
            {
                var lamp = commandLamps[(i * 10) + c];
                Assert.True(await commands.TrySendAsync(silo, lamp.Id, $"roll-{i}-{c}"));
            }

            var before = fleet.Spread().GetValueOrDefault(endpoints[i]);
            var exitCode = await silo.TerminateAsync(TimeSpan.FromMinutes(1));
            Assert.True(exitCode == 0, $"{silo.Name} exited with {exitCode} after SIGTERM.\n{silo.LogTail()}");
            await Poll.UntilAsync(
                () => fleet.ConnectedCount(except: endpoints[i]) == simulated.Count,
                $"the devices of {silo.Name} to move to the other silos",
                TimeSpan.FromMinutes(1),
                () => fleet.Describe() + "\n" + cluster.Logs());
            output.WriteLine($"{silo.Name}: {before} devices moved; desired changes so far {desired.Count} ({desired.Retries} sent again)");

            silo.Start();
            await silo.WaitReadyAsync(FleetCluster.StartTimeout);
        }

        await stop.CancelAsync();
        await load;
        Assert.Empty(await desired.FindLostAsync());
        IReadOnlyList<string> undelivered = [];
        await Poll.UntilAsync(
            async () => (undelivered = await desired.FindUndeliveredAsync()).Count == 0,
            "every accepted desired level to be applied by its device",
            TimeSpan.FromMinutes(1),
            () => string.Join("\n", undelivered.Take(10)));

        var outcomes = await commands.OutcomesAsync();
        Assert.Equal(30, outcomes.Count);
        Assert.All(outcomes, outcome => Assert.True(outcome is { State: "succeeded", Successes: 1 }, $"command {outcome.Id}: {outcome.State}, {outcome.Successes} successes"));
        Assert.Equal(30, fleet.Simulation.Stats.Snapshot(DateTimeOffset.UtcNow).CommandsSucceeded);

        var http = cluster.Http(cluster.Silos[0]);
        for (var i = 0; i < markers.Count; i++)
        {
            var twin = await FleetApi.TryGetTwinAsync(http, "lamp", markers[i].Id);
            Assert.Equal("roll-" + i.ToString(CultureInfo.InvariantCulture), twin?["reported"]?["firmware"]?.GetValue<string>());
        }

        await fleet.WaitAllAnsweringAsync(cluster.Silos.Select(cluster.Http).ToList(), TimeSpan.FromMinutes(1), cluster.Logs);
        output.WriteLine("simulator: " + fleet.Describe());
    }
}
