using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Gateway;

/// <summary>
/// The device gateway of one silo, as a grain: its key is the silo's address
/// (<see cref="SiloAddress.ToParsableString"/>) and <see cref="SiloKeyedPlacement"/> activates it on
/// exactly that silo, so a twin anywhere in the cluster reaches the silo that holds its device's
/// connection. When that silo is gone the call fails instead of activating elsewhere.
/// </summary>
[Alias("Fleet.IGatewayGrain")]
public interface IGatewayGrain : IGrainWithStringKey
{
    /// <summary>Queues the desired document on the session; false when the session is not (or no longer) here.</summary>
    [Alias("SendDesired")]
    Task<bool> SendDesired(DeviceSession session, DesiredDocument desired);

    /// <summary>Queues one command on the session; false when the session is not (or no longer) here.</summary>
    [Alias("SendCommand")]
    Task<bool> SendCommand(DeviceSession session, CommandMessage command);

    /// <summary>Closes the session; false when it is not (or no longer) here.</summary>
    [Alias("EndSession")]
    Task<bool> EndSession(DeviceSession session, SessionEndReason reason);
}

/// <summary>One connection of one device, as the twin recorded it.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceSession")]
public sealed record DeviceSession(
    [property: Id(0)] DeviceKind Kind,
    [property: Id(1)] string Id,
    [property: Id(2)] string SessionId);

/// <summary>Why the twin has a gateway close a session.</summary>
public enum SessionEndReason
{
    /// <summary>A newer connection of the same device took over.</summary>
    TakenOver,
    /// <summary>The device was decommissioned.</summary>
    Decommissioned,
}

/// <summary>What a device gets on its desired topic: the whole desired state, what still differs, and the twin version.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DesiredDocument")]
public sealed record DesiredDocument
{
    [Id(0)] public long Version { get; init; }
    [Id(1)] public ImmutableDictionary<string, TwinValue> Desired { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
    [Id(2)] public ImmutableDictionary<string, TwinValue> Delta { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
}

/// <summary>What a device gets on <c>…/commands/{commandId}</c>: the command's name and arguments, and until when it may be carried out.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.CommandMessage")]
public sealed record CommandMessage
{
    [Id(0)] public string Id { get; init; } = string.Empty;
    [Id(1)] public string Name { get; init; } = string.Empty;
    [Id(2)] public ImmutableDictionary<string, TwinValue> Args { get; init; } = ImmutableDictionary<string, TwinValue>.Empty;
    [Id(3)] public DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>
/// The silo's own device front end (the MQTT gateway), registered by the host. Grains never know
/// the protocol: they hand it sessions and documents.
/// </summary>
public interface IDeviceGateway
{
    ValueTask<bool> SendDesired(DeviceSession session, DesiredDocument desired);

    ValueTask<bool> SendCommand(DeviceSession session, CommandMessage command);

    ValueTask<bool> EndSession(DeviceSession session, SessionEndReason reason);
}
