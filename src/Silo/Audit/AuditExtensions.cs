using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Audit;

public static class AuditExtensions
{
    /// <summary>
    /// The audit log: <see cref="IAuditLog"/> (batched writes to the fleet_audit table of the silo's
    /// database) and the <c>.Audited(action)</c> endpoint convention's services.
    /// </summary>
    public static IServiceCollection AddFleetAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AuditStore>();
        services.AddSingleton<AuditWriter>();
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        return services;
    }
}
