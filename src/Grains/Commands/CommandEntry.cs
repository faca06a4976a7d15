using System.Collections.Immutable;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Commands;

/// <summary>One command in a twin's stored command log. At most MaxAttempts + 2 transitions.</summary>
[GenerateSerializer, Alias("Fleet.CommandEntry")]
public sealed class CommandEntry
{
    [Id(0)] public string Id { get; set; } = string.Empty;
    [Id(1)] public string Name { get; set; } = string.Empty;
    [Id(2)] public ImmutableDictionary<string, TwinValue> Args { get; set; } = ImmutableDictionary<string, TwinValue>.Empty;
    [Id(3)] public CommandState State { get; set; }
    [Id(4)] public DateTimeOffset CreatedAt { get; set; }
    [Id(5)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(6)] public int Attempts { get; set; }
    [Id(7)] public List<CommandTransition> Transitions { get; set; } = [];
    [Id(8)] public CommandResult? Result { get; set; }
    [Id(9)] public string RequestedBy { get; set; } = string.Empty;
    [Id(10)] public string? JobId { get; set; }
    /// <summary>When a sent command without result is due to be sent again (or failed).</summary>
    [Id(11)] public DateTimeOffset? ResendAt { get; set; }

    public bool IsOpen => !State.IsFinal();

    public DateTimeOffset UpdatedAt => Transitions.Count > 0 ? Transitions[^1].At : CreatedAt;

    public void Move(CommandState state, DateTimeOffset at, string? detail = null)
    {
        State = state;
        Transitions.Add(new CommandTransition { State = state, At = at, Detail = detail });
        if (state.IsFinal())
        {
            ResendAt = null;
        }
    }

    public DeviceCommand ToView(DeviceKind kind, string deviceId) => new()
    {
        Id = Id,
        Kind = kind,
        DeviceId = deviceId,
        Name = Name,
        Args = Args,
        State = State,
        CreatedAt = CreatedAt,
        ExpiresAt = ExpiresAt,
        UpdatedAt = UpdatedAt,
        Attempts = Attempts,
        Transitions = [.. Transitions],
        Result = Result,
        RequestedBy = RequestedBy,
        JobId = JobId is null ? null : Jobs.JobKeys.JobOf(JobId),
    };
}
