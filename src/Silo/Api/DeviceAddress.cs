using Fleet.Devices;

namespace Fleet.Silo.Api;

/// <summary>A kind and id that passed the edge checks; nothing else reaches a grain.</summary>
public readonly record struct DeviceAddress(DeviceKind Kind, string Id)
{
    /// <summary>Parses route or body values; returns null with a sentence naming the problem.</summary>
    public static DeviceAddress? Parse(string? kind, string? id, out string? error)
    {
        if (!DeviceKinds.TryParse(kind, out var parsedKind))
        {
            error = $"'{kind}' is not a device kind; the kind is " + DeviceKinds.Describe() + ".";
            return null;
        }

        error = DeviceId.Validate(id);
        return error is null ? new DeviceAddress(parsedKind, id!) : null;
    }

    public override string ToString() => $"{Kind.ToWire()}/{Id}";
}
