using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Audit;

/// <summary>
/// Marks an endpoint as audited: every call that passes authentication is recorded — who, the
/// action, the target, the handler's detail, the HTTP status and outcome — and so is a call its
/// policy refuses (403). Put on every endpoint that changes something.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class AuditedAttribute(string action, string? targetKind = null) : Attribute
{
    public string Action { get; } = action;

    /// <summary>The target kind when the route does not carry it (e.g. "key"); else the {kind} route value.</summary>
    public string? TargetKind { get; } = targetKind;

    /// <summary>The target as the request names it: what the handler noted, else the route's {kind} and {id}.</summary>
    internal (string? Kind, string? Id) TargetOf(HttpContext http)
    {
        var note = http.Features.Get<AuditNote>();
        var route = http.Request.RouteValues;
        return (
            note?.TargetKind ?? TargetKind ?? route["kind"] as string,
            note?.TargetId ?? route["id"] as string);
    }
}

/// <summary>What a handler adds to its request's audit entry: the target when the route lacks it, and a short detail.</summary>
public sealed class AuditNote
{
    public string? TargetKind { get; set; }

    public string? TargetId { get; set; }

    /// <summary>E.g. the desired patch, the command and its arguments, an import's counts.</summary>
    public string? Detail { get; set; }

    public AuditNote Target(string? kind, string? id)
    {
        TargetKind = kind;
        TargetId = id;
        return this;
    }
}

public static class AuditEndpoints
{
    /// <summary>Records every call of the endpoint(s) in the audit log as <paramref name="action"/> (see <see cref="AuditActions"/>).</summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action, string? targetKind = null)
        where TBuilder : IEndpointConventionBuilder
    {
        var audited = new AuditedAttribute(action, targetKind);
        return builder.WithMetadata(audited).AddEndpointFilter(new AuditFilter(audited));
    }

    /// <summary>The audit note of this request, for the handler to fill in.</summary>
    public static AuditNote Audit(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Features.Get<AuditNote>() is { } note)
        {
            return note;
        }

        note = new AuditNote();
        http.Features.Set(note);
        return note;
    }

    private sealed class AuditFilter(AuditedAttribute audited) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            var at = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            int status;
            string outcome;
            object? result;
            try
            {
                result = await next(context);
                (status, var why) = Describe(result, http);
                outcome = AuditOutcome.Of(status, why);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                await RecordAsync(http, at, 499, AuditOutcome.Failed("the client went away before the answer"));
                throw;
            }
            catch (Exception exception)
            {
                await RecordAsync(http, at, StatusCodes.Status500InternalServerError, AuditOutcome.Failed(exception.GetType().Name));
                throw;
            }

            await RecordAsync(http, at, status, outcome);
            return result;
        }

        private ValueTask RecordAsync(HttpContext http, DateTimeOffset at, int status, string outcome)
        {
            var (kind, id) = audited.TargetOf(http);
            var entry = new AuditEntry(at, FleetActor.From(http.User), audited.Action, kind, id, http.Features.Get<AuditNote>()?.Detail, status, outcome);
            return http.RequestServices.GetRequiredService<IAuditLog>().RecordAsync(entry, CancellationToken.None);
        }

        /// <summary>The status the result will answer with, and for errors the ProblemDetails' detail.</summary>
        private static (int Status, string? Why) Describe(object? result, HttpContext http)
        {
            while (result is INestedHttpResult nested)
            {
                result = nested.Result;
            }

            var why = result switch
            {
                ProblemHttpResult problem => problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title,
                ValidationProblem validation => string.Join("; ", validation.ProblemDetails.Errors.SelectMany(error => error.Value)),
                _ => null,
            };
            var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : http.Response.StatusCode;
            return (status, why);
        }
    }
}
