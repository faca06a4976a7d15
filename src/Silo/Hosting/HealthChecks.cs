using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fleet.Silo.Hosting;

public static class HealthEndpoints
{
    public static IServiceCollection AddFleetHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<SiloActiveCheck>("silo", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// /health/live answers while the process runs; /health/ready once the silo takes calls, and no
    /// longer once it starts stopping, so a load balancer sends no new devices to a draining silo.
    /// </summary>
    public static WebApplication MapFleetHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }

    private sealed class SiloActiveCheck(ISiloStatusOracle oracle, IHostApplicationLifetime lifetime) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(
                lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Unhealthy("The silo is draining to stop.")
                : oracle.CurrentStatus == SiloStatus.Active ? HealthCheckResult.Healthy("The silo is active.")
                : HealthCheckResult.Unhealthy($"The silo is {oracle.CurrentStatus}."));
    }
}
