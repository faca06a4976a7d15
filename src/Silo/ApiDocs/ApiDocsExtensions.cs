using Fleet.Silo.Auth;
using Scalar.AspNetCore;

namespace Fleet.Silo.ApiDocs;

public static class ApiDocsExtensions
{
    /// <summary>Where the interactive API reference is served.</summary>
    public const string Path = "/api/docs";

    /// <summary>
    /// The interactive API reference (Scalar) at /api/docs over /openapi/v1.json. Anonymous, like the
    /// document it renders: reading about the API needs no key, calling it does (the page asks for
    /// one in its ApiKey box). Its script is served by Fleet itself, so it works without internet.
    /// </summary>
    public static WebApplication MapFleetApiDocs(this WebApplication app)
    {
        app.MapScalarApiReference(Path, options => options
                .WithTitle("Fleet API — Duisburg's device fleet")
                .AddPreferredSecuritySchemes(ApiKeyAuthenticationHandler.SchemeName)
                .DisableTelemetry())
            .AllowAnonymous();
        return app;
    }
}
