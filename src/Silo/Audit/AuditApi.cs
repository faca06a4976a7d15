using System.Globalization;
using Fleet.Silo.Api;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Audit;

/// <summary>Reading the audit log (admin): /api/audit.</summary>
public static class AuditApi
{
    public static RouteHandlerBuilder MapAuditApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/audit", GetAudit)
            .WithTags("Audit")
            .WithName("GetAudit")
            .WithSummary("The audit log, newest first, filtered by actor, action, target kind, target id and time; paged with a cursor.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(FleetPolicies.Admin);

    /// <param name="actor">An API key id or name.</param>
    /// <param name="action">An action, e.g. device.desired (exact).</param>
    /// <param name="kind">A target kind: lamp, parking, wifi, meter, key, job, schedule.</param>
    /// <param name="deviceId">A target id: a device id (or a key or job id).</param>
    /// <param name="from">Entries at or after this time (ISO 8601).</param>
    /// <param name="to">Entries before this time (ISO 8601).</param>
    /// <param name="limit">Entries per page, 1–1000 (default 100).</param>
    /// <param name="cursor">The <c>next</c> of the previous page.</param>
    internal static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> GetAudit(
        string? actor,
        string? action,
        string? kind,
        string? deviceId,
        string? from,
        string? to,
        string? limit,
        string? cursor,
        IAuditLog audit,
        AuditStore store,
        CancellationToken cancellationToken)
    {
        if (!TryTime(from, "from", out var fromTime, out var problem)
            || !TryTime(to, "to", out var toTime, out problem))
        {
            return Problems.BadRequest(problem!);
        }

        var pageSize = AuditQuery.DefaultLimit;
        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > AuditQuery.MaxLimit))
        {
            return Problems.BadRequest($"'limit' must be a whole number from 1 to {AuditQuery.MaxLimit}, not '{limit}'.");
        }

        AuditCursor? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            after = AuditCursor.TryParse(cursor);
            if (after is null)
            {
                return Problems.BadRequest("'cursor' is not one this API handed out; pass the 'next' of the previous page unchanged.");
            }
        }

        // What this silo recorded so far is written first, so a caller sees its own actions.
        await audit.FlushAsync(cancellationToken);
        var query = new AuditQuery(Blank(actor), Blank(action), Blank(kind), Blank(deviceId), fromTime, toTime, pageSize, after);
        return TypedResults.Ok(await store.QueryAsync(query, cancellationToken));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool TryTime(string? text, string name, out DateTimeOffset? time, out string? problem)
    {
        time = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        problem = $"'{name}' must be a time like 2026-05-31T18:00:00Z, not '{text}'.";
        return false;
    }
}
