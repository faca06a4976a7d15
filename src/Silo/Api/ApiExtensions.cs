using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.Json;

namespace Fleet.Silo.Api;

public static class ApiExtensions
{
    /// <summary>ProblemDetails for every error, Fleet's JSON, and the OpenAPI document (with the ApiKey scheme).</summary>
    public static IServiceCollection AddFleetApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.Configure<JsonOptions>(options => FleetJson.Configure(options.SerializerOptions));
        services.AddOpenApi(options => options.AddApiKeySecurity());
        return services;
    }

    public static WebApplication MapFleetApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseFleetAuth();
        app.MapOpenApi();
        app.MapDevicesApi();
        app.MapCommandsApi();
        app.MapProvisioningApi();
        app.MapKeysApi();
        app.MapAuditApi();
        return app;
    }
}
