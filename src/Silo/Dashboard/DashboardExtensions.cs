using Fleet.Silo.Auth;
using Orleans.Dashboard;

namespace Fleet.Silo.Dashboard;

public static class DashboardExtensions
{
    /// <summary>Where the Orleans dashboard is served (admin only).</summary>
    public const string OrleansDashboardPath = "/dashboard";

    /// <summary>The UI's content security policy (inline style attributes only: the map's pop-up is placed with one).</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>
    /// The Orleans dashboard on the silo. Its live log stream is off: logs are not for a browser
    /// tab, and a stream that never ends has no place behind a key check done once.
    /// </summary>
    public static WebApplicationBuilder AddFleetDashboard(this WebApplicationBuilder builder)
    {
        builder.UseOrleans(silo => silo.AddDashboard(options => options.HideTrace = true));
        return builder;
    }

    /// <summary>
    /// The maintenance crews' UI at / (static files from wwwroot, no build step), who-am-I and the
    /// browser session under /api, and the Orleans dashboard at /dashboard behind the admin policy —
    /// its grain-state endpoint shows raw state.
    /// </summary>
    public static WebApplication MapFleetDashboard(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;

                // The UI is a handful of small files that change with every release: always revalidate.
                headers.CacheControl = "no-cache";

                // The tab holds an API key: only Fleet's own scripts may run, talk and be framed.
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
            },
        });
        app.MapSessionApi();
        app.MapOrleansDashboard(OrleansDashboardPath).RequireAuthorization(FleetPolicies.Admin);
        return app;
    }
}
