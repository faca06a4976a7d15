using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Auth;

public static class AuthExtensions
{
    /// <summary>
    /// API keys with roles: the "ApiKey" authentication scheme, the policies of
    /// <see cref="FleetPolicies"/>, the bootstrap admin key and the key table. Endpoints opt in with
    /// <c>.RequireAuthorization(FleetPolicies.X)</c>; one under /api that names no policy is admin-only.
    /// </summary>
    public static IServiceCollection AddFleetAuth(this IServiceCollection services)
    {
        services.AddOptions<FleetAuthOptions>().BindConfiguration(FleetAuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FleetAuthOptions>, FleetAuthOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<BootstrapAdminKey>();
        services.AddHostedService(sp => sp.GetRequiredService<BootstrapAdminKey>());
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<ApiKeyValidator>();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        var authorization = services.AddAuthorizationBuilder();
        foreach (var (policy, roles) in FleetPolicies.Roles)
        {
            authorization.AddPolicy(policy, builder => builder
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireRole(roles));
        }

        authorization.SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
            .AddRequirements(new UndeclaredApiRequirement())
            .Build());
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, FleetAuthorizationResultHandler>();
        return services;
    }

    /// <summary>Authentication and authorization in the pipeline; call after the exception handler.</summary>
    public static IApplicationBuilder UseFleetAuth(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
