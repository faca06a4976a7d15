using Fleet.Alarms;
using Fleet.Grains.Alarms;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;

namespace Fleet.Silo.Alarms;

/// <summary>
/// The alarm operations the HTTP API and the Orleans client share: list, read, acknowledge. An
/// acknowledgement through the Orleans client is recorded in the audit log here; one through the
/// API is recorded by the endpoint's <c>.Audited(...)</c>.
/// </summary>
internal sealed class AlarmBook(AlarmStore store, AlarmWriter writer, IAuditLog audit, TimeProvider time) : IAlarmBook
{
    /// <summary>The role recorded for acknowledgements through the Orleans client (the gateway checks no keys).</summary>
    public const string ClientRole = "orleans-client";

    public Task<AlarmPage> ListAsync(AlarmQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return store.ListAsync(query, cancellationToken);
    }

    public Task<Alarm?> GetAsync(long id, CancellationToken cancellationToken) => store.GetAsync(id, cancellationToken);

    /// <summary>Checks the comment and acknowledges in the name of <paramref name="actor"/>.</summary>
    public async Task<AckResult> AcknowledgeAsync(long id, FleetActor actor, string? comment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var text = comment?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > AckResult.MaxCommentLength)
        {
            return new AckResult
            {
                Outcome = AckOutcome.Invalid,
                Error = $"'comment' is required: say what was found or done, 1 to {AckResult.MaxCommentLength} characters.",
            };
        }

        return await writer.AcknowledgeAsync(id, actor.Id, actor.Name, text, cancellationToken);
    }

    public async Task<AckResult> AcknowledgeAsync(long id, string user, string comment, CancellationToken cancellationToken)
    {
        var name = string.IsNullOrWhiteSpace(user) ? "unnamed" : user.Trim();
        var actor = new FleetActor("client:" + name, name, ClientRole);
        var result = await AcknowledgeAsync(id, actor, comment, cancellationToken);
        var status = result.Outcome switch
        {
            AckOutcome.Acknowledged => StatusCodes.Status200OK,
            AckOutcome.NotFound => StatusCodes.Status404NotFound,
            AckOutcome.Invalid => StatusCodes.Status400BadRequest,
            _ => StatusCodes.Status409Conflict,
        };
        await audit.RecordAsync(
            new AuditEntry(
                time.GetUtcNow(),
                actor,
                AuditActions.AlarmAcknowledge,
                result.Alarm?.Kind.ToString().ToLowerInvariant() ?? AlarmsApi.AuditTarget,
                result.Alarm?.DeviceId ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                AlarmsApi.AuditDetail(id, result.Alarm, comment),
                status,
                AuditOutcome.Of(status, result.Error)),
            cancellationToken);
        return result;
    }
}
