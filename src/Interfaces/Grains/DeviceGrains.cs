using Fleet.Devices;

namespace Fleet.Grains;

/// <summary>Finds the twin grain of a device by kind and id.</summary>
public static class DeviceGrains
{
    // GetGrain<T>(key) resolves T's grain interface type by reading its attributes on every call
    // (a measurable share of a telemetry message or a command); the two types are fixed per kind,
    // so they are looked up once and the reference is made from them.
    // A reference per slot, so a racing first lookup publishes a whole route or none.
    private static readonly Route?[] Routes = new Route?[Enum.GetValues<DeviceKind>().Length];

    public static IDeviceTwinGrain GetTwin(this IGrainFactory grains, DeviceKind kind, string id)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var slot = (int)kind;
        if ((uint)slot >= (uint)Routes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind.");
        }

        var route = Routes[slot] ??= RouteOf(ByInterface(grains, kind, id));
        return (IDeviceTwinGrain)grains.GetGrain(GrainId.Create(route.Type, id), route.Interface);
    }

    public static IDeviceEndpointGrain GetEndpoint(this IGrainFactory grains, DeviceKind kind, string id) =>
        (IDeviceEndpointGrain)grains.GetTwin(kind, id);

    private static Route RouteOf(IDeviceTwinGrain prototype)
    {
        var reference = (GrainReference)prototype;
        return new Route(reference.GrainId.Type, reference.InterfaceType);
    }

    private sealed record Route(GrainType Type, GrainInterfaceType Interface);

    private static IDeviceTwinGrain ByInterface(IGrainFactory grains, DeviceKind kind, string id) => kind switch
    {
        DeviceKind.Lamp => grains.GetGrain<ILampGrain>(id),
        DeviceKind.Parking => grains.GetGrain<IParkingBayGrain>(id),
        DeviceKind.Wifi => grains.GetGrain<IAccessPointGrain>(id),
        DeviceKind.Meter => grains.GetGrain<IMeterGrain>(id),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
    };
}
