using Microsoft.AspNetCore.Http.Json;

namespace Fleet.Silo.Api;

public static class ApiExtensions
{
    /// <summary>ProblemDetails for every error, Fleet's JSON, and the OpenAPI document.</summary>
    public static IServiceCollection AddFleetApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.Configure<JsonOptions>(options => FleetJson.Configure(options.SerializerOptions));
        services.AddOpenApi();
        return services;
    }

    public static WebApplication MapFleetApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapDevicesApi();
        app.MapProvisioningApi();
        return app;
    }
}
