using Fleet.Grains.Alarms;
using Fleet.Grains.Twins;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Alarms;

public static class AlarmsExtensions
{
    /// <summary>
    /// Alarms: the writer that turns twin changes into the fleet_alarms lifecycle, the offline
    /// sweep, the reconcile, and the book the API and <see cref="IAlarmBook"/> (the Orleans
    /// client's alarms grain) share. Needs the live events (AddFleetEvents) for its events.
    /// </summary>
    public static IServiceCollection AddFleetAlarms(this IServiceCollection services)
    {
        services.AddOptions<AlarmOptions>().BindConfiguration(AlarmOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AlarmOptions>, AlarmOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TwinClock>();
        services.AddSingleton<AlarmStore>();
        services.AddSingleton<AlarmWriter>();
        services.AddSingleton<ITwinObserver>(sp => sp.GetRequiredService<AlarmWriter>());
        services.AddSingleton<IFaultObserver>(sp => sp.GetRequiredService<AlarmWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<AlarmWriter>());
        services.AddSingleton<OfflineSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<OfflineSweeper>());
        services.AddSingleton<AlarmReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<AlarmReconciler>());
        services.AddSingleton<AlarmBook>();
        services.AddSingleton<IAlarmBook>(sp => sp.GetRequiredService<AlarmBook>());
        return services;
    }

    public static WebApplication MapFleetAlarmsApi(this WebApplication app)
    {
        app.MapAlarmsApi();
        return app;
    }
}
