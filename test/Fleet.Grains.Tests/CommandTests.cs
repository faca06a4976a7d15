using System.Collections.Immutable;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Tests;

/// <summary>The command lifecycle inside the twin grain, on the fixture's fake clock and fake gateway.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CommandTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task AQueuedCommandExpiresWhenItsTtlRunsOutStampedWithTheMomentItRanOut()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        var submitted = await twin.SubmitCommand(Dim(40, TimeSpan.FromSeconds(5)));
        var id = submitted.Command!.Id;

        fixture.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(CommandState.Queued, (await twin.GetCommand(id))!.State);
        fixture.Time.Advance(TimeSpan.FromSeconds(2));
        var expired = (await twin.GetCommand(id))!;

        Assert.Equal(CommandState.Expired, expired.State);
        Assert.Equal([CommandState.Queued, CommandState.Expired], expired.Transitions.Select(t => t.State));
        Assert.Equal(submitted.Command.CreatedAt + TimeSpan.FromSeconds(5), expired.Transitions[1].At);
        Assert.Equal(expired.ExpiresAt, expired.UpdatedAt);
        var told = fixture.Changes.Of(twin.GetPrimaryKeyString()).Where(c => c.Command is not null).Select(c => c.Command!.State).ToList();
        Assert.Equal(["queued", "expired"], told);
    }

    [Fact]
    public async Task EveryTransitionIsTimestampedOnTheTwinClock()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        await ConnectAsync(twin);
        var start = fixture.Time.GetUtcNow();

        var sent = (await twin.SubmitCommand(Dim(30))).Command!;
        fixture.Time.Advance(TimeSpan.FromMilliseconds(700));
        var answer = await Endpoint(twin).ReportCommandResult(sent.Id, CommandState.Succeeded, "ok");
        var done = (await twin.GetCommand(sent.Id))!;

        Assert.Equal(CommandResultAnswer.Applied, answer);
        Assert.Equal(CommandState.Sent, sent.State);
        Assert.Equal([CommandState.Queued, CommandState.Sent, CommandState.Succeeded], done.Transitions.Select(t => t.State));
        Assert.Equal([start, start, start + TimeSpan.FromMilliseconds(700)], done.Transitions.Select(t => t.At));
        Assert.Equal(new CommandResult { Status = CommandState.Succeeded, Detail = "ok", At = start + TimeSpan.FromMilliseconds(700) }, done.Result);
        var delivered = Assert.Single(fixture.Gateway.CommandsFor(twin.GetPrimaryKeyString()));
        Assert.Equal(sent.Id, delivered.Id);
        Assert.Equal(sent.ExpiresAt, delivered.ExpiresAt);
    }

    [Fact]
    public async Task ASentCommandWithoutResultIsSentAgainAndFailedAfterItsAttempts()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        await ConnectAsync(twin);
        var id = (await twin.SubmitCommand(Dim(50))).Command!.Id;

        DeviceCommand? command = null;
        for (var round = 0; round < 60 && command?.State != CommandState.Failed; round++)
        {
            // The result timeout is 1 s in this fixture: move twin time past it, then let the timer run.
            fixture.Time.Advance(TimeSpan.FromSeconds(1.5));
            await Task.Delay(200);
            command = await twin.GetCommand(id);
        }

        Assert.Equal(CommandState.Failed, command!.State);
        Assert.Equal(3, command.Attempts);
        Assert.Equal([CommandState.Queued, CommandState.Sent, CommandState.Sent, CommandState.Sent, CommandState.Failed], command.Transitions.Select(t => t.State));
        Assert.Equal("no result after 3 attempts", command.Transitions[^1].Detail);
        Assert.Equal(3, fixture.Gateway.CommandsFor(twin.GetPrimaryKeyString()).Count);
        Assert.Equal(CommandResultAnswer.AlreadyClosed, await Endpoint(twin).ReportCommandResult(id, CommandState.Succeeded, null));
        Assert.Equal(CommandState.Failed, (await twin.GetCommand(id))!.State);
    }

    [Fact]
    public async Task QueuedCommandsGoToTheDeviceInTheirOrderWhenItConnects()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        var ids = new List<string>();
        foreach (var level in new[] { 10, 20, 30 })
        {
            ids.Add((await twin.SubmitCommand(Dim(level))).Command!.Id);
        }

        Assert.Empty(fixture.Gateway.CommandsFor(twin.GetPrimaryKeyString()));
        await ConnectAsync(twin);

        Assert.Equal(ids, fixture.Gateway.CommandsFor(twin.GetPrimaryKeyString()).Select(c => c.Id));
        Assert.All(await twin.GetCommands(), c => Assert.Equal(CommandState.Sent, c.State));
    }

    [Fact]
    public async Task OnlyAQueuedCommandCanBeCancelled()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        var queued = (await twin.SubmitCommand(Dim(10))).Command!;

        var cancelled = await twin.CancelCommand(queued.Id, "crew 7");
        await ConnectAsync(twin);
        var sent = (await twin.SubmitCommand(Dim(20))).Command!;
        var refused = await twin.CancelCommand(sent.Id, "crew 7");
        var unknown = await twin.CancelCommand("nope", "crew 7");

        Assert.Equal(CommandState.Cancelled, cancelled.Command!.State);
        Assert.Equal("cancelled by crew 7", cancelled.Command.Transitions[^1].Detail);
        Assert.Equal(TwinOutcome.Conflict, refused.Outcome);
        Assert.Equal(TwinOutcome.NotFound, unknown.Outcome);
        Assert.DoesNotContain(fixture.Gateway.CommandsFor(twin.GetPrimaryKeyString()), c => c.Id == queued.Id);
    }

    [Fact]
    public async Task ARequestWithAKnownIdIsARepeatAndChangesNothing()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);

        var first = await twin.SubmitCommand(Dim(10) with { Id = "job-x" });
        var again = await twin.SubmitCommand(Dim(99) with { Id = "job-x" });

        Assert.False(first.Repeated);
        Assert.True(again.Repeated);
        Assert.Equal((first.Command!.Id, first.Command.CreatedAt), (again.Command!.Id, again.Command.CreatedAt));
        Assert.Equal(TwinValue.Of(10), again.Command.Args["level"]);
        Assert.Single(await twin.GetCommands());
    }

    [Fact]
    public async Task TheLogKeepsEveryOpenCommandAndOnlyTheNewestClosedOnes()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        for (var i = 0; i < 30; i++)
        {
            var id = (await twin.SubmitCommand(Dim(i))).Command!.Id;
            await twin.CancelCommand(id, "test");
        }

        var open = (await twin.SubmitCommand(Dim(5))).Command!;
        var log = await twin.GetCommands();

        Assert.Equal(21, log.Length);
        Assert.Equal(open.Id, log[0].Id);
        Assert.All(log.Skip(1), c => Assert.Equal(CommandState.Cancelled, c.State));
    }

    [Fact]
    public async Task MoreThanTheAllowedOpenCommandsAreRefused()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(TwinOutcome.Ok, (await twin.SubmitCommand(Dim(i))).Outcome);
        }

        var refused = await twin.SubmitCommand(Dim(1));

        Assert.Equal(TwinOutcome.Conflict, refused.Outcome);
        Assert.Contains("50 open commands", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForCommandReturnsAsSoonAsTheResultArrives()
    {
        var twin = await TwinTestKit.ProvisionAsync(Grains, DeviceKind.Lamp);
        await ConnectAsync(twin);
        var id = (await twin.SubmitCommand(Dim(70))).Command!.Id;

        var waiting = twin.WaitForCommand(id, TimeSpan.FromSeconds(20));
        await Endpoint(twin).ReportCommandResult(id, CommandState.Rejected, "lamp in manual mode");
        var done = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(CommandState.Rejected, done!.State);
    }

    private static CommandRequest Dim(double level, TimeSpan? ttl = null) => new()
    {
        Name = "dim",
        Args = ImmutableDictionary<string, TwinValue>.Empty.Add("level", TwinValue.Of(level)),
        Ttl = ttl,
        RequestedBy = "test",
    };

    private static IDeviceEndpointGrain Endpoint(IDeviceTwinGrain twin) => (IDeviceEndpointGrain)twin;

    private Task ConnectAsync(IDeviceTwinGrain twin) =>
        Endpoint(twin).Connected(new DeviceConnection { SessionId = Guid.NewGuid().ToString("N"), Gateway = fixture.GatewayKey, At = fixture.Time.GetUtcNow() });
}
