using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;
using Fleet.Silo.Tests.Jobs;
using static Fleet.Silo.Tests.Api.ApiTestKit;
using static Fleet.Silo.Tests.Client.CliRunner;

namespace Fleet.Silo.Tests.Client;

/// <summary>fleet job start|watch|get|cancel over the Orleans gateway; the HTTP API sees the same jobs.</summary>
[Collection(HostCollection.Name)]
public sealed class JobCliTests(HostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task JobStartWithWatchFollowsADesiredJobToItsEnd()
    {
        var (first, _) = await ProvisionLampAsync(Host.Http);
        var (second, _) = await ProvisionLampAsync(Host.Http);

        var output = await RunOkAsync(Host, "job", "start", "--kind", "lamp", "--id", first, "--id", second, "--desired", "level=40", "--desired", "on=true", "--name", "two to 40", "--watch", "--interval", "200ms");

        // Not a terminal: plain progress lines, no escape sequences.
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
        Assert.Contains("100.0 % 2/2 closed", output, StringComparison.Ordinal);
        var summary = Assert.Single(output.Split('\n'), line => line.StartsWith("Job ", StringComparison.Ordinal));
        Assert.Contains("completed: 2/2 closed, 2 succeeded, 0 failed", summary, StringComparison.Ordinal);
        var jobId = summary.Split(' ')[1];
        var job = await JobsKit.GetAsync(Host.Http, jobId);
        Assert.Equal("completed", job["state"]!.GetValue<string>());
        Assert.Equal("two to 40", job["spec"]!["name"]!.GetValue<string>());
        Assert.StartsWith("cli:", job["spec"]!["requestedBy"]!.GetValue<string>(), StringComparison.Ordinal);
        JobsKit.AssertCountsAddUp(job);
        foreach (var id in new[] { first, second })
        {
            var desired = (await ReadJsonAsync(await Host.Http.GetAsync($"/api/devices/lamp/{id}")))["desired"]!;
            Assert.Equal(40, desired["level"]!.GetValue<double>());
            Assert.True(desired["on"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task ACommandJobForOfflineLampsIsReadCancelledAndWatchedToItsEnd()
    {
        var (lamp, _) = await ProvisionLampAsync(Host.Http);
        var jobId = "cli-" + Guid.NewGuid().ToString("N")[..12];

        var started = JsonNode.Parse(await RunOkAsync(Host, "job", "start", "--kind", "lamp", "--id", lamp, "--command", "blink", "--arg", "seconds=5", "--rate", "1", "--job-id", jobId))!;
        Assert.Equal(jobId, started["id"]!.GetValue<string>());
        Assert.Equal("blink", started["spec"]!["command"]!["name"]!.GetValue<string>());

        // The lamp never connects, so its blink stays queued and the job keeps running.
        await Poll.UntilAsync(
            async () => JsonNode.Parse(await RunOkAsync(Host, "job", "get", jobId))!["progress"]!["queued"]!.GetValue<int>() == 1,
            "the blink queued for the offline lamp");

        var cancelled = JsonNode.Parse(await RunOkAsync(Host, "job", "cancel", jobId, "--user", "anna"))!;
        Assert.Equal("cancelled", cancelled["state"]!.GetValue<string>());
        Assert.Equal(1, cancelled["progress"]!["cancelled"]!.GetValue<int>());
        Assert.Contains("cli:anna", cancelled["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var (exit, watched, error) = await RunAsync(Host, "job", "watch", jobId);
        Assert.Equal(1, exit);
        Assert.Contains($"Job {jobId} cancelled: 1/1 closed", watched, StringComparison.Ordinal);
        Assert.Contains("ended cancelled", error, StringComparison.Ordinal);
        Assert.Contains("already cancelled", await RunFailingAsync(Host, "job", "cancel", jobId), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--command", "job", "start", "--kind", "lamp", "--id", "DU-L-000001")]
    [InlineData("--command", "job", "start", "--kind", "lamp", "--id", "DU-L-000001", "--command", "dim", "--desired", "level=40")]
    [InlineData("--kind", "job", "start", "--kind", "streetlight", "--desired", "level=40")]
    [InlineData("--borough", "job", "start", "--kind", "lamp", "--borough", "Atlantis", "--desired", "level=40")]
    [InlineData("ratePerSecond", "job", "start", "--kind", "lamp", "--id", "DU-L-000001", "--desired", "level=40", "--rate", "0")]
    [InlineData("--job-id", "job", "start", "--kind", "lamp", "--id", "DU-L-000001", "--desired", "level=40", "--job-id", "a:b")]
    [InlineData("no job", "job", "get", "no-such-job")]
    public async Task ABadJobIsRefusedWithAMessage(string named, params string[] args)
    {
        Assert.Contains(named, await RunFailingAsync(Host, args), StringComparison.Ordinal);
    }
}
