using Microsoft.Extensions.Options;

namespace Fleet.Silo.Schedules;

public static class SchedulesExtensions
{
    /// <summary>Lighting schedules: the periodic wake that stands in for reminders (the grains come with the silo).</summary>
    public static IServiceCollection AddFleetSchedules(this IServiceCollection services)
    {
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScheduleOptions>, ScheduleOptionsValidator>();
        services.AddSingleton<ScheduleWaker>();
        services.AddHostedService(sp => sp.GetRequiredService<ScheduleWaker>());
        return services;
    }

    public static WebApplication MapFleetSchedulesApi(this WebApplication app)
    {
        app.MapSchedulesApi();
        return app;
    }
}
