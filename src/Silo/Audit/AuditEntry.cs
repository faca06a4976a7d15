using System.Text.Json.Serialization;
using Fleet.Silo.Auth;

namespace Fleet.Silo.Audit;

/// <summary>
/// One audited action: who (the key and its role), what (action, target, a short detail), when,
/// and how it ended (the HTTP status and "ok", "refused: why" or "failed: why").
/// </summary>
public sealed record AuditEntry(
    DateTimeOffset At,
    FleetActor Actor,
    string Action,
    string? TargetKind,
    string? TargetId,
    string? Detail,
    int Status,
    string Outcome)
{
    public const int MaxDetailLength = 1000;
    public const int MaxOutcomeLength = 500;

    /// <summary>Assigned by the store, in the order entries were written; 0 until then.</summary>
    [JsonPropertyOrder(-1)]
    public long Id { get; init; }

    /// <summary>The entry as stored: time to the microsecond, long texts cut.</summary>
    internal AuditEntry Normalized() => this with
    {
        At = Storage.FleetDatabase.ToMicroseconds(At),
        Detail = Cut(Detail, MaxDetailLength),
        Outcome = Cut(Outcome, MaxOutcomeLength)!,
    };

    private static string? Cut(string? text, int length) => text is null || text.Length <= length ? text : text[..(length - 1)] + "…";
}

/// <summary>The outcome texts, so every writer words them alike.</summary>
public static class AuditOutcome
{
    public const string Ok = "ok";

    public static string Refused(string? why) => string.IsNullOrWhiteSpace(why) ? "refused" : "refused: " + why;

    public static string Failed(string? why) => string.IsNullOrWhiteSpace(why) ? "failed" : "failed: " + why;

    /// <summary>"ok" for 1xx–3xx, "refused: why" for 4xx, "failed: why" for 5xx.</summary>
    public static string Of(int status, string? why) => status switch
    {
        < 400 => Ok,
        < 500 => Refused(why),
        _ => Failed(why),
    };
}

/// <summary>The action names in the audit log: "area.verb". Filters match them exactly.</summary>
public static class AuditActions
{
    public const string DeviceProvision = "device.provision";
    public const string DeviceImport = "device.import";
    public const string DeviceRotateSecret = "device.rotate-secret";
    public const string DeviceDecommission = "device.decommission";
    public const string DeviceDesired = "device.desired";

    public const string CommandSend = "command.send";
    public const string CommandCancel = "command.cancel";
    public const string AlarmAcknowledge = "alarm.acknowledge";
    public const string JobStart = "job.start";
    public const string JobCancel = "job.cancel";
    public const string ScheduleSet = "schedule.set";
    public const string ScheduleDelete = "schedule.delete";

    public const string KeyCreate = "key.create";
    public const string KeyRevoke = "key.revoke";

    /// <summary>A browser signed in (POST /api/session) or out (DELETE /api/session) with a key.</summary>
    public const string SessionStart = "session.start";
    public const string SessionEnd = "session.end";

    public const string IndexRebuild = "index.rebuild";
}

/// <summary>Target kinds beside the device kinds (lamp, parking, wifi, meter).</summary>
public static class AuditTargets
{
    public const string Key = "key";
    public const string Job = "job";
    public const string Schedule = "schedule";
    public const string Index = "index";
}

/// <summary>Writes audit entries. The HTTP API records through <c>.Audited(action)</c>; anything else calls this.</summary>
public interface IAuditLog
{
    /// <summary>
    /// Queues the entry; it is durable within Fleet:Audit:FlushInterval (and at shutdown). Returns
    /// at once unless the queue is full, when it waits for room rather than lose the entry.
    /// </summary>
    ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Returns once every entry recorded before the call is durable.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
