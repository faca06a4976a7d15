using Fleet.Grains.Gateway;

namespace Fleet.Grains;

public static class GatewayGrainsExtensions
{
    /// <summary>
    /// Lets twins reach the gateway of the silo holding their device's connection. Every silo needs
    /// it (placement runs where the call starts); the silos that accept devices also register an
    /// <see cref="IDeviceGateway"/>.
    /// </summary>
    public static ISiloBuilder AddDeviceGateways(this ISiloBuilder silo)
    {
        silo.AddPlacementDirector<SiloKeyedPlacement, SiloKeyedPlacementDirector>();
        return silo;
    }
}
