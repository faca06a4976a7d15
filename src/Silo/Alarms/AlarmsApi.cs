using System.Globalization;
using Fleet.Alarms;
using Fleet.Devices;
using Fleet.Silo.Api;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Alarms;

/// <summary>The body of POST /api/alarms/{id}/ack.</summary>
/// <param name="Comment">What was found or done; required, at most 1000 characters.</param>
public sealed record AckRequest(string? Comment);

/// <summary>Alarms: /api/alarms (read), /api/alarms/{id}/ack (maintenance).</summary>
public static class AlarmsApi
{
    /// <summary>The audit target kind of an acknowledgement whose alarm is unknown.</summary>
    public const string AuditTarget = "alarm";

    public static RouteGroupBuilder MapAlarmsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/alarms").WithTags("Alarms");

        group.MapGet("/", ListAlarms)
            .WithName("ListAlarms")
            .WithSummary("Alarms, newest first, filtered by state, severity, borough, kind and device; paged with a cursor.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapGet("/{id}", GetAlarm)
            .WithName("GetAlarm")
            .WithSummary("One alarm with its lifecycle: raised, acknowledged (who, comment), cleared, and how often it was raised.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapPost("/{id}/ack", Acknowledge)
            .WithName("AcknowledgeAlarm")
            .WithSummary("Acknowledges an active alarm with a comment; it stays open until the device's fault clears.")
            .Accepts<AckRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(FleetPolicies.Maintain)
            .Audited(AuditActions.AlarmAcknowledge, AuditTarget);

        return group;
    }

    /// <param name="state">active, acknowledged or cleared.</param>
    /// <param name="severity">critical, major, minor or warning.</param>
    /// <param name="borough">A borough of Duisburg.</param>
    /// <param name="kind">lamp, parking, wifi or meter.</param>
    /// <param name="deviceId">One device's alarms.</param>
    /// <param name="limit">Alarms per page, 1–1000 (default 100).</param>
    /// <param name="cursor">The <c>next</c> of the previous page.</param>
    internal static async Task<Results<Ok<AlarmPage>, ProblemHttpResult>> ListAlarms(
        string? state,
        string? severity,
        string? borough,
        string? kind,
        string? deviceId,
        string? limit,
        string? cursor,
        AlarmBook book,
        CancellationToken cancellationToken)
    {
        var query = new AlarmQuery();
        if (!string.IsNullOrWhiteSpace(state))
        {
            if (!TryWord<AlarmState>(state, out var parsed))
            {
                return Problems.BadRequest($"'state' must be active, acknowledged or cleared, not '{state}'.");
            }

            query = query with { State = parsed };
        }

        if (!string.IsNullOrWhiteSpace(severity))
        {
            if (!TryWord<AlarmSeverity>(severity, out var parsed))
            {
                return Problems.BadRequest($"'severity' must be critical, major, minor or warning, not '{severity}'.");
            }

            query = query with { Severity = parsed };
        }

        if (!string.IsNullOrWhiteSpace(borough))
        {
            if (!Boroughs.TryNormalize(borough, out var normalized))
            {
                return Problems.BadRequest($"'borough' must be {Boroughs.Describe()}, not '{borough}'.");
            }

            query = query with { Borough = normalized };
        }

        if (!string.IsNullOrWhiteSpace(kind))
        {
            if (!DeviceKinds.TryParse(kind, out var parsed))
            {
                return Problems.BadRequest($"'kind' must be {DeviceKinds.Describe()}, not '{kind}'.");
            }

            query = query with { Kind = parsed };
        }

        if (!string.IsNullOrWhiteSpace(deviceId))
        {
            if (DeviceId.Validate(deviceId) is { } error)
            {
                return Problems.BadRequest("'deviceId': " + error);
            }

            query = query with { DeviceId = deviceId };
        }

        if (limit is not null)
        {
            if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var pageSize) || pageSize is < 1 or > AlarmQuery.MaxLimit)
            {
                return Problems.BadRequest($"'limit' must be a whole number from 1 to {AlarmQuery.MaxLimit}, not '{limit}'.");
            }

            query = query with { Limit = pageSize };
        }

        if (!string.IsNullOrEmpty(cursor))
        {
            if (AlarmStore.ParseCursor(cursor) is null)
            {
                return Problems.BadRequest("'cursor' is not one this API handed out; pass the 'next' of the previous page unchanged.");
            }

            query = query with { Cursor = cursor };
        }

        return TypedResults.Ok(await book.ListAsync(query, cancellationToken));
    }

    internal static async Task<Results<Ok<Alarm>, ProblemHttpResult>> GetAlarm(string id, AlarmBook book, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } alarmId)
        {
            return Problems.BadRequest($"'{id}' is not an alarm id; alarm ids are positive whole numbers.");
        }

        return await book.GetAsync(alarmId, cancellationToken) is { } alarm
            ? TypedResults.Ok(alarm)
            : Problems.NotFound($"There is no alarm {alarmId}.");
    }

    internal static async Task<Results<Ok<Alarm>, ProblemHttpResult>> Acknowledge(
        string id, AckRequest? body, HttpContext http, AlarmBook book, CancellationToken cancellationToken)
    {
        var note = http.Audit();
        note.Detail = body?.Comment;
        if (ParseId(id) is not { } alarmId)
        {
            return Problems.BadRequest($"'{id}' is not an alarm id; alarm ids are positive whole numbers.");
        }

        var result = await book.AcknowledgeAsync(alarmId, FleetActor.From(http.User), body?.Comment, cancellationToken);
        if (result.Alarm is { } alarm)
        {
            note.Target(alarm.Kind.ToWire(), alarm.DeviceId);
        }

        note.Detail = AuditDetail(alarmId, result.Alarm, body?.Comment);
        return result.Outcome switch
        {
            AckOutcome.Acknowledged => TypedResults.Ok(result.Alarm!),
            AckOutcome.NotFound => Problems.NotFound(result.Error!),
            AckOutcome.Invalid => Problems.BadRequest(result.Error!),
            _ => Problems.Conflict(result.Error!),
        };
    }

    /// <summary>"alarm 12 (lampFailure): the comment" — what the audit log says about an acknowledgement.</summary>
    internal static string AuditDetail(long id, Alarm? alarm, string? comment) =>
        string.Create(CultureInfo.InvariantCulture, $"alarm {id}") + (alarm is null ? string.Empty : $" ({alarm.Type})") + ": " + (comment ?? string.Empty);

    private static long? ParseId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    private static bool TryWord<T>(string text, out T value)
        where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !char.IsAsciiDigit(text[0]);
}
