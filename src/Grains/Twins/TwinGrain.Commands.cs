using System.Collections.Immutable;
using Fleet.Commands;
using Fleet.Events;
using Fleet.Grains.Commands;
using Fleet.Grains.Gateway;
using Fleet.Grains.Jobs;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Twins;

/// <summary>
/// Device commands: stored in the twin's bounded command log before the caller hears back, sent in
/// order over the device's connection whenever it is connected, re-sent when a result is overdue,
/// closed by the device's result, its TTL or an operator's cancel.
/// </summary>
public abstract partial class TwinGrain
{
    private CommandBook? _commands;
    private IGrainTimer? _commandTimer;
    private Dictionary<string, List<TaskCompletionSource>>? _waiters;

    private CommandBook Commands => _commands ??= new CommandBook(_engine.Kind, _commandOptions);

    public async Task<CommandOutcome> SubmitCommand(CommandRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!State.Provisioned)
        {
            return CommandOutcome.Fail(TwinOutcome.NotFound, NotProvisioned());
        }

        var draft = Commands.Submit(State, request, Now);
        if (draft.Entry is not { } entry)
        {
            return CommandOutcome.Fail(draft.Conflict ? TwinOutcome.Conflict : TwinOutcome.Invalid, draft.Error!);
        }

        if (draft.Repeated)
        {
            return CommandOutcome.Ok(View(entry), repeated: true);
        }

        // Durable before anyone hears of it: a crash from here on re-sends it from storage.
        await WriteNowAsync();
        LogCommandQueued(_kind, Id, entry.Id, entry.Name);
        CommandMoved(entry);
        await SendOpenCommandsAsync();
        ScheduleCommandTimer();
        return CommandOutcome.Ok(View(entry));
    }

    public ValueTask<DeviceCommand?> GetCommand(string commandId)
    {
        ExpireCommands();
        return ValueTask.FromResult(CommandBook.Find(State.Commands, commandId) is { } entry ? View(entry) : null);
    }

    public ValueTask<ImmutableArray<DeviceCommand>> GetCommands()
    {
        ExpireCommands();
        return ValueTask.FromResult(State.Commands.AsEnumerable().Reverse().Select(View).ToImmutableArray());
    }

    public async Task<CommandOutcome> CancelCommand(string commandId, string cancelledBy)
    {
        ExpireCommands();
        if (CommandBook.Find(State.Commands, commandId) is not { } entry)
        {
            return CommandOutcome.Fail(TwinOutcome.NotFound, $"The {_kind} '{Id}' has no command '{commandId}'.");
        }

        if (entry.State != CommandState.Queued)
        {
            return CommandOutcome.Fail(
                TwinOutcome.Conflict,
                entry.State == CommandState.Sent
                    ? $"Command '{commandId}' was already sent to the device at {entry.UpdatedAt:O}; only a queued command can be cancelled."
                    : $"Command '{commandId}' is already {entry.State.ToWire()}.",
                View(entry));
        }

        entry.Move(CommandState.Cancelled, Now, "cancelled by " + cancelledBy);
        await WriteNowAsync();
        CommandMoved(entry);
        ScheduleCommandTimer();
        return CommandOutcome.Ok(View(entry));
    }

    public async Task<DeviceCommand?> WaitForCommand(string commandId, TimeSpan wait)
    {
        if (CommandBook.Find(State.Commands, commandId) is not { } entry)
        {
            return null;
        }

        if (entry.IsOpen && wait > TimeSpan.Zero)
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters ??= new Dictionary<string, List<TaskCompletionSource>>(StringComparer.Ordinal);
            if (!_waiters.TryGetValue(commandId, out var list))
            {
                _waiters[commandId] = list = [];
            }

            list.Add(closed);
            var limit = wait < _commandOptions.MaxWait ? wait : _commandOptions.MaxWait;
            await Task.WhenAny(closed.Task, Task.Delay(limit));
            list.Remove(closed);
            if (list.Count == 0)
            {
                _waiters.Remove(commandId);
            }
        }

        return CommandBook.Find(State.Commands, commandId) is { } now ? View(now) : null;
    }

    public async Task<CommandResultAnswer> ReportCommandResult(string commandId, CommandState status, string? detail)
    {
        var answer = CommandBook.Complete(State.Commands, commandId, status, detail, Now, out var entry);
        if (answer == CommandResultAnswer.Applied)
        {
            await WriteNowAsync();
            LogCommandClosed(_kind, Id, commandId, status);
            CommandMoved(entry!);
            ScheduleCommandTimer();
        }

        return answer;
    }

    /// <summary>After (re)activation: closes what expired meanwhile and re-sends what was left open.</summary>
    private async Task ResumeCommandsAsync()
    {
        if (!State.Commands.Any(entry => entry.IsOpen))
        {
            return;
        }

        ExpireCommands();
        await SendOpenCommandsAsync();
        ScheduleCommandTimer();
    }

    /// <summary>
    /// Sends, in the order they were accepted, every open command that is not already waiting for
    /// its result on this connection (<paramref name="newConnection"/>: none is).
    /// </summary>
    private async Task SendOpenCommandsAsync(bool newConnection = false)
    {
        if (State.SessionId is not { } sessionId || State.Gateway is not { } gateway || !GatewayLiveness.TryParse(gateway, out _))
        {
            return;
        }

        var session = new DeviceSession(_engine.Kind, Id, sessionId);
        var now = Now;
        var changed = new List<CommandEntry>();
        foreach (var entry in CommandBook.Open(State.Commands).ToList())
        {
            if (!newConnection && entry.State == CommandState.Sent && entry.ResendAt > now)
            {
                continue;
            }

            if (Commands.FailIfExhausted(entry, now))
            {
                changed.Add(entry);
                continue;
            }

            if (!await DeliverAsync(gateway, session, entry))
            {
                // The connection is gone: the rest waits for the next one, in order.
                break;
            }

            Commands.MarkSent(entry, now);
            changed.Add(entry);
        }

        if (changed.Count > 0)
        {
            // A lost "sent" only means the command goes once more; the device knows it by its id.
            MarkDirty();
            changed.ForEach(CommandMoved);
        }
    }

    private async Task<bool> DeliverAsync(string gateway, DeviceSession session, CommandEntry entry)
    {
        var message = new CommandMessage { Id = entry.Id, Name = entry.Name, Args = entry.Args, ExpiresAt = entry.ExpiresAt };
        try
        {
            return await GrainFactory.GetGrain<IGatewayGrain>(gateway).SendCommand(session, message).WaitAsync(GatewayTimeout);
        }
        catch (Exception exception)
        {
            LogGatewayCallFailed(exception, _kind, Id, gateway);
            return false;
        }
    }

    /// <summary>Closes expired commands in memory (a coalesced write follows; the outcome is the same if it is lost).</summary>
    private void ExpireCommands()
    {
        foreach (var entry in CommandBook.Expire(State.Commands, Now))
        {
            MarkDirty();
            CommandMoved(entry);
        }
    }

    private void ScheduleCommandTimer()
    {
        _commandTimer?.Dispose();
        _commandTimer = null;
        if (CommandBook.NextDue(State.Commands) is not { } next)
        {
            return;
        }

        var due = next - Now;

        // KeepAlive: a twin with open commands stays active, so expiry and re-sends happen on time.
        _commandTimer = this.RegisterGrainTimer(CommandTimerAsync, new GrainTimerCreationOptions
        {
            DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due,
            Period = Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        });
    }

    private async Task CommandTimerAsync(CancellationToken cancellationToken)
    {
        var expired = CommandBook.Expire(State.Commands, Now);
        if (expired.Count > 0)
        {
            await WriteNowAsync();
            expired.ForEach(CommandMoved);
        }

        // Overdue results: sent again (or failed) now if the device is connected, else on its next connect.
        await SendOpenCommandsAsync();
        if (State.SessionId is null)
        {
            foreach (var entry in CommandBook.Overdue(State.Commands, Now))
            {
                entry.ResendAt = null;
            }
        }

        ScheduleCommandTimer();
    }

    /// <summary>Tells the read side, the waiting callers and the command's job that a command moved.</summary>
    private void CommandMoved(CommandEntry entry)
    {
        var last = entry.Transitions[^1];
        Notify(TwinChangeKinds.Command, command: new CommandStateChange
        {
            CommandId = entry.Id,
            Name = entry.Name,
            State = entry.State.ToWire(),
            Detail = last.Detail,
        });

        if (!entry.IsOpen && _waiters is not null && _waiters.TryGetValue(entry.Id, out var waiting))
        {
            foreach (var waiter in waiting)
            {
                waiter.TrySetResult();
            }
        }

        if (entry.JobId is { } job)
        {
            GrainFactory.GetGrain<IJobPartGrain>(job).CommandChanged(new JobCommandUpdate(_engine.Kind, Id, entry.Id, entry.State)).Ignore();
        }
    }

    private DeviceCommand View(CommandEntry entry) => entry.ToView(_engine.Kind, Id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {DeviceId}: command {CommandId} ({Name}) queued")]
    private partial void LogCommandQueued(string kind, string deviceId, string commandId, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {DeviceId}: command {CommandId} closed as {State} by the device")]
    private partial void LogCommandClosed(string kind, string deviceId, string commandId, CommandState state);
}
