using Fleet.Events;
using Fleet.Grains.Twins;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Events;

public static class EventsExtensions
{
    /// <summary>
    /// The live event feed: the Orleans memory streams "fleet-events" (subscriptions in the
    /// PubSubStore grain storage), the publisher that feeds them from twin changes, and this silo's
    /// hub that serves SSE clients.
    /// </summary>
    public static WebApplicationBuilder AddFleetEvents(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseOrleans(silo => silo.AddMemoryStreams(FleetEventStreams.ProviderName));

        var services = builder.Services;
        services.AddOptions<EventOptions>().BindConfiguration(EventOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EventOptions>, EventOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EventHub>();
        services.AddSingleton<FleetEventPublisher>();
        services.AddSingleton<ITwinObserver>(sp => sp.GetRequiredService<FleetEventPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<FleetEventPublisher>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, EventStreamListener>();
        return builder;
    }

    public static WebApplication MapFleetEventsApi(this WebApplication app)
    {
        app.MapEventsApi();
        return app;
    }
}
