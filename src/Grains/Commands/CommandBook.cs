using Fleet.Commands;
using Fleet.Devices;
using Fleet.Grains.Twins;
using Fleet.Protocol;

namespace Fleet.Grains.Commands;

/// <summary>
/// The command lifecycle as pure rules over a twin's command log (oldest first): accept, send,
/// close, expire, retry. The grain does the I/O (storing, sending, telling); this decides.
/// </summary>
internal sealed class CommandBook(DeviceKind kind, CommandOptions options)
{
    public CommandOptions Options => options;

    /// <summary>Checks and queues a request; a known id returns the existing command as a repeat.</summary>
    public CommandOutcomeDraft Submit(TwinState twin, CommandRequest request, DateTimeOffset now)
    {
        var log = twin.Commands;
        if (request.Id is { } id)
        {
            if (!DeviceTopics.IsValidCommandId(id))
            {
                return CommandOutcomeDraft.Invalid($"'{id}' is not a valid command id: 1–{DeviceTopics.MaxCommandIdLength} characters of A–Z, a–z, 0–9, '.', '_', ':' or '-'.");
            }

            if (Find(log, id) is { } existing)
            {
                return new CommandOutcomeDraft(existing, Repeated: true);
            }
        }

        if (CommandCatalogue.Validate(kind, twin.Metadata, request.Name, request.Args) is { } error)
        {
            return CommandOutcomeDraft.Invalid(error);
        }

        var ttl = request.Ttl ?? options.DefaultTtl;
        if (ttl <= TimeSpan.Zero || ttl > options.MaxTtl)
        {
            return CommandOutcomeDraft.Invalid($"The TTL must be more than 0 and at most {options.MaxTtl.TotalSeconds:0} seconds.");
        }

        if (log.Count(entry => entry.IsOpen) >= options.MaxOpen)
        {
            return new CommandOutcomeDraft(null, Error: $"This device already has {options.MaxOpen} open commands; wait for them to finish or cancel some.", Conflict: true);
        }

        var entry = new CommandEntry
        {
            Id = request.Id ?? Guid.CreateVersion7(now).ToString("N"),
            Name = request.Name,
            Args = request.Args,
            CreatedAt = now,
            ExpiresAt = now + ttl,
            RequestedBy = request.RequestedBy,
            JobId = request.JobId,
        };
        entry.Move(CommandState.Queued, now);
        log.Add(entry);
        Trim(log);
        return new CommandOutcomeDraft(entry);
    }

    public static CommandEntry? Find(List<CommandEntry> log, string id) => log.Find(entry => entry.Id == id);

    /// <summary>The open commands in the order they were accepted: the order they go to the device.</summary>
    public static IEnumerable<CommandEntry> Open(List<CommandEntry> log) => log.Where(entry => entry.IsOpen);

    /// <summary>Fails the command when it has had all its attempts; true if it did.</summary>
    public bool FailIfExhausted(CommandEntry entry, DateTimeOffset now)
    {
        if (entry.Attempts < options.MaxAttempts)
        {
            return false;
        }

        entry.Move(CommandState.Failed, now, $"no result after {entry.Attempts} attempts");
        return true;
    }

    /// <summary>Records that the command was handed to the device (once more).</summary>
    public void MarkSent(CommandEntry entry, DateTimeOffset now)
    {
        entry.Attempts++;
        entry.ResendAt = now + options.ResultTimeout;
        entry.Move(CommandState.Sent, now, entry.Attempts == 1 ? null : $"attempt {entry.Attempts}");
    }

    /// <summary>Closes a command with the device's result; repeats and unknown ids change nothing.</summary>
    public static CommandResultAnswer Complete(List<CommandEntry> log, string id, CommandState status, string? detail, DateTimeOffset now, out CommandEntry? entry)
    {
        entry = Find(log, id);
        if (entry is null)
        {
            return CommandResultAnswer.Unknown;
        }

        if (!entry.IsOpen)
        {
            return CommandResultAnswer.AlreadyClosed;
        }

        entry.Result = new CommandResult { Status = status, Detail = detail, At = now };
        entry.Move(status, now, detail);
        return CommandResultAnswer.Applied;
    }

    /// <summary>Closes every open command whose TTL has run out, stamped with the moment it ran out.</summary>
    public static List<CommandEntry> Expire(List<CommandEntry> log, DateTimeOffset now)
    {
        var expired = new List<CommandEntry>();
        foreach (var entry in log.Where(entry => entry.IsOpen && entry.ExpiresAt <= now))
        {
            entry.Move(CommandState.Expired, entry.ExpiresAt, entry.State == CommandState.Queued
                ? "the device did not connect before the TTL ran out"
                : "no result before the TTL ran out");
            expired.Add(entry);
        }

        return expired;
    }

    /// <summary>Sent commands whose result is overdue: to be sent again (or failed), oldest first.</summary>
    public static List<CommandEntry> Overdue(List<CommandEntry> log, DateTimeOffset now) =>
        [.. log.Where(entry => entry.State == CommandState.Sent && entry.ResendAt <= now)];

    /// <summary>When the next expiry or resend falls due; null when nothing is open.</summary>
    public static DateTimeOffset? NextDue(List<CommandEntry> log)
    {
        DateTimeOffset? next = null;
        foreach (var entry in Open(log))
        {
            var due = entry.ResendAt is { } resend && resend < entry.ExpiresAt ? resend : entry.ExpiresAt;
            if (next is null || due < next)
            {
                next = due;
            }
        }

        return next;
    }

    /// <summary>Keeps every open command and the newest closed ones.</summary>
    public void Trim(List<CommandEntry> log)
    {
        var closed = log.Count(entry => !entry.IsOpen);
        for (var i = 0; i < log.Count && closed > options.LogLength;)
        {
            if (!log[i].IsOpen)
            {
                log.RemoveAt(i);
                closed--;
            }
            else
            {
                i++;
            }
        }
    }
}

/// <summary>What <see cref="CommandBook.Submit"/> decided.</summary>
internal readonly record struct CommandOutcomeDraft(CommandEntry? Entry, bool Repeated = false, string? Error = null, bool Conflict = false)
{
    public static CommandOutcomeDraft Invalid(string error) => new(null, Error: error);
}
