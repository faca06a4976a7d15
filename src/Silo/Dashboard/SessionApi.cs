using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Dashboard;

/// <summary>The signed-in caller: its key's name and role, and which policies it passes.</summary>
/// <param name="Id">The key's id (the first 16 hex digits of its hash).</param>
/// <param name="Name">The key's name.</param>
/// <param name="Role">admin, operator, maintenance or integration.</param>
/// <param name="May">Per policy (read, maintain, operate, admin): whether this key passes it.</param>
public sealed record Caller(string Id, string Name, string Role, IReadOnlyDictionary<string, bool> May)
{
    internal static Caller Of(HttpContext http)
    {
        var actor = FleetActor.From(http.User);
        var may = new Dictionary<string, bool>(StringComparer.Ordinal)
        {
            ["read"] = http.User.Allows(FleetPolicies.Read),
            ["maintain"] = http.User.Allows(FleetPolicies.Maintain),
            ["operate"] = http.User.Allows(FleetPolicies.Operate),
            ["admin"] = http.User.Allows(FleetPolicies.Admin),
        };
        return new Caller(actor.Id, actor.Name, actor.Role, may);
    }
}

/// <summary>
/// Who am I (GET /api/me), and the browser session (POST/DELETE /api/session) that lets a browser
/// use its key where it cannot send a header — see <see cref="SessionCookie"/>.
/// </summary>
public static class SessionApi
{
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/me", GetMe)
            .WithTags("Session")
            .WithName("GetMe")
            .WithSummary("The calling key's id, name and role, and which policies (read, maintain, operate, admin) it passes.")
            .RequireAuthorization(FleetPolicies.Read);

        var session = routes.MapGroup("/api/session").WithTags("Session").RequireAuthorization(FleetPolicies.Read);

        session.MapPost("/", StartSession)
            .WithName("StartSession")
            .WithSummary("Signs a browser in: checks the key sent in X-Api-Key and sets it in an HttpOnly, SameSite=Strict session cookie that GET requests (the Orleans dashboard, EventSource) may use instead of the header.")
            .Audited(AuditActions.SessionStart, AuditTargets.Key);

        session.MapDelete("/", EndSession)
            .WithName("EndSession")
            .WithSummary("Signs a browser out: removes the session cookie.")
            .Audited(AuditActions.SessionEnd, AuditTargets.Key);

        return routes;
    }

    internal static Ok<Caller> GetMe(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(Caller.Of(http));
    }

    internal static Ok<Caller> StartSession(HttpContext http)
    {
        // The policy let the request in, so it carried a valid key — in a header, as the cookie is
        // not read on a POST: that key is the one the session keeps.
        var (key, _) = ApiKeyAuthenticationHandler.ReadKey(http.Request.Headers);
        var caller = Caller.Of(http);
        SessionCookie.Set(http, key!);
        http.Audit().Target(AuditTargets.Key, caller.Id);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(caller);
    }

    internal static NoContent EndSession(HttpContext http)
    {
        SessionCookie.Clear(http);
        http.Audit().Target(AuditTargets.Key, FleetActor.From(http.User).Id);
        return TypedResults.NoContent();
    }
}
