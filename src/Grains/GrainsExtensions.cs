using Fleet.Grains.Commands;
using Fleet.Grains.Twins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.Grains;

public static class GrainsExtensions
{
    /// <summary>Registers what the twin grains need: validated <see cref="TwinOptions"/> and the twin clock.</summary>
    public static ISiloBuilder AddFleetGrains(this ISiloBuilder silo)
    {
        silo.Services.AddOptions<TwinOptions>().BindConfiguration(TwinOptions.Section).ValidateOnStart();
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwinOptions>, TwinOptionsValidator>());
        silo.Services.AddOptions<CommandOptions>().BindConfiguration(CommandOptions.Section).ValidateOnStart();
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommandOptions>, CommandOptionsValidator>());
        silo.Services.TryAddSingleton<TwinClock>();
        return silo;
    }
}
