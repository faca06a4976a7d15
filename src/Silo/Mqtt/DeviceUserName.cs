using Fleet.Devices;

namespace Fleet.Silo.Mqtt;

/// <summary>The MQTT user name of a device: <c>{kind}/{id}</c>.</summary>
internal static class DeviceUserName
{
    public static bool TryParse(string? userName, out DeviceKind kind, out string id, out string? error)
    {
        kind = default;
        id = string.Empty;
        var slash = userName?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash < 0)
        {
            error = "the user name must be {kind}/{id}, e.g. lamp/DU-L-00001";
            return false;
        }

        if (!DeviceKinds.TryParse(userName![..slash], out kind))
        {
            error = "the kind in the user name must be " + DeviceKinds.Describe();
            return false;
        }

        id = userName[(slash + 1)..];
        error = DeviceId.Validate(id);
        return error is null;
    }
}
