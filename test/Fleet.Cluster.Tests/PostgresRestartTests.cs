using System.Collections.Concurrent;
using Fleet.Simulator.Protocol;
using Xunit.Abstractions;

namespace Fleet.Cluster.Tests;

/// <summary>
/// PostgreSQL goes away under load and comes back (a failover of the database, a restart for a
/// minor upgrade): the silos stay up, what failed meanwhile was refused and is sent again, and
/// everything Fleet acknowledged is there afterwards.
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    private const int Devices = 200;
    private const int LeakMeters = 20;

    [Fact]
    public async Task RestartingPostgreSqlUnderLoadKeepsTheSilosUpAndLosesNothingAccepted()
    {
        // Its own PostgreSQL, since this test stops it.
        await using var postgres = await PostgresServer.StartOwnAsync();
        await using var cluster = await FleetCluster.StartAsync(postgres);
        var devices = await FleetApi.ProvisionAsync(cluster.Http(cluster.Silos[0], TimeSpan.FromMinutes(5)), "PG", lamps: Devices, meters: LeakMeters);
        var lamps = devices.Where(device => device.Kind == "lamp").ToList();
        var meters = devices.Where(device => device.Kind == "meter").ToList();

        await using var fleet = new DeviceFleet(cluster, lamps);
        await Poll.UntilAsync(() => fleet.ConnectedCount() == lamps.Count, "every device to connect", TimeSpan.FromMinutes(3), fleet.Describe);

        using var stop = new CancellationTokenSource();
        var desired = new DesiredChanges(cluster, lamps.Take(100).ToList());
        var load = desired.RunAsync(stop.Token);
        await Poll.UntilAsync(() => desired.Count >= 30, "the first desired changes", TimeSpan.FromMinutes(1));

        var endpoints = cluster.MqttEndpoints;
        var acknowledged = new ConcurrentBag<DeviceCredentials>();
        async Task ReportLeaksAsync(IEnumerable<DeviceCredentials> which)
        {
            foreach (var (meter, index) in which.Select((meter, index) => (meter, index)))
            {
                if (await OneShotDevice.TryReportLeakAsync(endpoints[index % endpoints.Count], meter))
                {
                    acknowledged.Add(meter);
                }
            }
        }

        var retriesBefore = desired.Retries;
        await postgres.StopAsync();
        await ReportLeaksAsync(meters.Take(LeakMeters / 2));
        await Poll.UntilAsync(() => desired.Retries >= retriesBefore + 25, "desired changes to be refused while PostgreSQL is down", TimeSpan.FromMinutes(1));
        var refusedWhileDown = desired.Retries - retriesBefore;
        await postgres.StartAsync();
        await ReportLeaksAsync(meters.Skip(LeakMeters / 2));

        Assert.All(cluster.Silos, silo => Assert.True(silo.IsRunning, $"{silo.Name} died while PostgreSQL was down.\n{silo.LogTail()}"));
        foreach (var silo in cluster.Silos)
        {
            await silo.WaitReadyAsync(TimeSpan.FromMinutes(1));
        }

        var acceptedAfter = desired.Count + 20;
        await Poll.UntilAsync(() => desired.Count >= acceptedAfter, "desired changes to be accepted again", TimeSpan.FromMinutes(1), cluster.Logs);
        await stop.CancelAsync();
        await load;
        output.WriteLine($"desired changes accepted: {desired.Count}; refused while PostgreSQL was down and sent again: {refusedWhileDown}");
        Assert.Empty(await desired.FindLostAsync());

        output.WriteLine($"leaks acknowledged: {acknowledged.Count} of {LeakMeters} (the rest were refused while PostgreSQL was down)");
        Assert.True(acknowledged.Count >= LeakMeters / 2, "every leak reported after the restart is acknowledged");
        var http = cluster.Http(cluster.Silos[0]);
        var missing = acknowledged.Select(meter => meter.Id).ToList();
        await Poll.UntilAsync(
            async () =>
            {
                var counts = await Task.WhenAll(missing.Select(async id => (id, count: await FleetApi.CountAlarmsAsync(http, id, "leak"))));
                missing = counts.Where(entry => entry.count is not >= 1).Select(entry => entry.id).ToList();
                return missing.Count == 0;
            },
            "a leak alarm for every acknowledged leak report",
            TimeSpan.FromMinutes(1),
            () => "missing: " + string.Join(", ", missing));

        await fleet.WaitAllAnsweringAsync(cluster.Silos.Select(cluster.Http).ToList(), TimeSpan.FromMinutes(1), cluster.Logs);
        output.WriteLine("simulator: " + fleet.Describe());
    }
}
