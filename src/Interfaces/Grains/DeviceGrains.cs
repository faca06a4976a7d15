using Fleet.Devices;

namespace Fleet.Grains;

/// <summary>Finds the twin grain of a device by kind and id.</summary>
public static class DeviceGrains
{
    public static IDeviceTwinGrain GetTwin(this IGrainFactory grains, DeviceKind kind, string id) => kind switch
    {
        DeviceKind.Lamp => grains.GetGrain<ILampGrain>(id),
        DeviceKind.Parking => grains.GetGrain<IParkingBayGrain>(id),
        DeviceKind.Wifi => grains.GetGrain<IAccessPointGrain>(id),
        DeviceKind.Meter => grains.GetGrain<IMeterGrain>(id),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
    };

    public static IDeviceEndpointGrain GetEndpoint(this IGrainFactory grains, DeviceKind kind, string id) =>
        (IDeviceEndpointGrain)grains.GetTwin(kind, id);
}
