using System.Collections.Immutable;
using Fleet.Commands;
using Fleet.Devices;
using Orleans.Concurrency;
using Fleet.Twins;

namespace Fleet.Grains;

/// <summary>
/// The operator face of a device twin: read it, change what operations want, provision and
/// decommission. Devices never hold a reference of this type.
/// </summary>
[Alias("Fleet.IDeviceTwinGrain")]
public interface IDeviceTwinGrain : IGrainWithStringKey
{
    /// <summary>The twin, or null when the device is not provisioned.</summary>
    [Alias("GetTwin"), ReadOnly]
    ValueTask<TwinDocument?> GetTwin();

    /// <summary>The bounded recent history (oldest first).</summary>
    [Alias("GetHistory"), ReadOnly]
    ValueTask<ImmutableArray<HistoryPoint>> GetHistory();

    /// <summary>Applies a JSON-merge-patch-like change to desired (a null value removes the field).</summary>
    [Alias("MergeDesired")]
    Task<TwinResult> MergeDesired(DesiredPatch patch);

    /// <summary>Creates the twin and returns its device secret, which is never shown again.</summary>
    [Alias("Provision")]
    Task<ProvisionResult> Provision(DeviceMetadata metadata);

    /// <summary>Issues a new secret; the old one stops working at once.</summary>
    [Alias("RotateSecret")]
    Task<ProvisionResult> RotateSecret();

    /// <summary>Removes the device from service: its twin is gone and it can no longer connect.</summary>
    [Alias("Decommission")]
    Task<TwinResult> Decommission();

    /// <summary>
    /// Validates the command against the catalogue, stores it (durably, before answering) and sends
    /// it when the device is connected; otherwise it waits in the device's queue until it connects.
    /// </summary>
    [Alias("SubmitCommand")]
    Task<CommandOutcome> SubmitCommand(CommandRequest request);

    /// <summary>One command of the command log, or null when the twin knows no such id.</summary>
    [Alias("GetCommand")]
    ValueTask<DeviceCommand?> GetCommand(string commandId);

    /// <summary>The command log: every open command and the most recent closed ones, newest first.</summary>
    [Alias("GetCommands")]
    ValueTask<ImmutableArray<DeviceCommand>> GetCommands();

    /// <summary>Cancels a command that has not been sent yet; a sent or closed command is a conflict.</summary>
    [Alias("CancelCommand")]
    Task<CommandOutcome> CancelCommand(string commandId, string cancelledBy);

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the command to close and returns it as it then is
    /// (null when unknown). Interleaves with everything else, so waiting holds nothing up.
    /// </summary>
    [Alias("WaitForCommand"), AlwaysInterleave]
    Task<DeviceCommand?> WaitForCommand(string commandId, TimeSpan wait);
}

/// <summary>
/// The device face of a twin: authenticate, report, connect and disconnect. The MQTT gateway
/// calls it on the device's behalf.
/// </summary>
[Alias("Fleet.IDeviceEndpointGrain")]
public interface IDeviceEndpointGrain : IGrainWithStringKey
{
    [Alias("Authenticate")]
    Task<AuthResult> Authenticate(string secret);

    [Alias("Report")]
    Task<ReportResult> Report(DeviceReport report);

    [Alias("Connected")]
    Task Connected(DeviceConnection connection);

    /// <summary>Marks the device offline unless a newer connection has taken over.</summary>
    [Alias("Disconnected")]
    Task Disconnected(string sessionId);

    /// <summary>
    /// The device subscribed to its desired topic: the twin sends the desired document again while
    /// a delta exists, so a device that subscribes after connecting does not miss it.
    /// </summary>
    [Alias("DesiredRequested")]
    Task DesiredRequested(string sessionId);

    /// <summary>The device's result for a command (from …/commands/{commandId}/result). Repeats change nothing.</summary>
    [Alias("ReportCommandResult")]
    Task<CommandResultAnswer> ReportCommandResult(string commandId, CommandState status, string? detail);
}

[Alias("Fleet.ILampGrain")]
public interface ILampGrain : IDeviceTwinGrain, IDeviceEndpointGrain;

[Alias("Fleet.IParkingBayGrain")]
public interface IParkingBayGrain : IDeviceTwinGrain, IDeviceEndpointGrain;

[Alias("Fleet.IAccessPointGrain")]
public interface IAccessPointGrain : IDeviceTwinGrain, IDeviceEndpointGrain;

[Alias("Fleet.IMeterGrain")]
public interface IMeterGrain : IDeviceTwinGrain, IDeviceEndpointGrain;
