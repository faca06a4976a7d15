using Fleet.Silo.Audit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Fleet.Silo.Auth;

/// <summary>
/// Answers a refused policy with a 403 ProblemDetails that names the roles the endpoint admits, and
/// records the refusal in the audit log when the endpoint is audited. 401s go to the scheme's challenge.
/// </summary>
internal sealed class FleetAuthorizationResultHandler(IProblemDetailsService problems, IAuditLog audit, TimeProvider time)
    : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var actor = FleetActor.From(context.User);
        var admitted = AdmittedRoles(authorizeResult.AuthorizationFailure);
        var detail = admitted.Count == 0
            ? $"The API key '{actor.Name}' (role {actor.Role}) may not do this."
            : $"The API key '{actor.Name}' has the role {actor.Role}; this needs {string.Join(" or ", admitted)}.";

        if (context.GetEndpoint()?.Metadata.GetMetadata<AuditedAttribute>() is { } audited)
        {
            var (kind, id) = audited.TargetOf(context);
            await audit.RecordAsync(new AuditEntry(
                time.GetUtcNow(), actor, audited.Action, kind, id, null, StatusCodes.Status403Forbidden, AuditOutcome.Refused(detail)));
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = "Forbidden.", Detail = detail },
        });
    }

    private static List<string> AdmittedRoles(AuthorizationFailure? failure)
    {
        var requirements = failure?.FailedRequirements ?? [];
        var roles = requirements.OfType<RolesAuthorizationRequirement>().SelectMany(requirement => requirement.AllowedRoles);
        if (requirements.OfType<UndeclaredApiRequirement>().Any())
        {
            roles = roles.Append(FleetRoles.Admin);
        }

        return roles.Distinct(StringComparer.Ordinal).ToList();
    }
}

/// <summary>
/// The fallback for endpoints that declare no policy: under /api only admin keys pass (deny by
/// default — an endpoint someone forgot to mark is not open), elsewhere (health, OpenAPI, MQTT over
/// WebSocket, which authenticates devices itself) anyone passes.
/// </summary>
internal sealed class UndeclaredApiRequirement : AuthorizationHandler<UndeclaredApiRequirement>, IAuthorizationRequirement
{
    public const string ApiPrefix = "/api";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, UndeclaredApiRequirement requirement)
    {
        var underApi = context.Resource is not HttpContext http || http.Request.Path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase);
        if (!underApi || context.User.IsInRole(FleetRoles.Admin))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
