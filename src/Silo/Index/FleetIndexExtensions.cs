using Fleet.Grains.Index;
using Fleet.Grains.Twins;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Index;

public static class FleetIndexExtensions
{
    /// <summary>
    /// The fleet index: a per-silo writer that follows every twin change into the index tables of
    /// the silo's database (<see cref="Storage.FleetDatabase"/>, so after AddFleetSqliteStorage or
    /// AddFleetPostgreSqlStorage), the rebuild from stored twins, and the reader behind
    /// GET /api/devices, GET /api/boroughs and <see cref="Queries.IFleetQueryGrain"/>.
    /// </summary>
    public static IServiceCollection AddFleetIndex(this IServiceCollection services)
    {
        services.AddOptions<FleetIndexOptions>().BindConfiguration(FleetIndexOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FleetIndexOptions>, FleetIndexOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FleetIndexStore>();
        services.AddSingleton<StoredTwins>();
        services.AddSingleton<IndexRebuilder>();
        services.AddSingleton<TwinIndexWriter>();
        services.AddSingleton<ITwinObserver>(sp => sp.GetRequiredService<TwinIndexWriter>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<TwinIndexWriter>());
        services.AddSingleton<IFleetIndexReader, FleetIndexReader>();
        return services;
    }
}
