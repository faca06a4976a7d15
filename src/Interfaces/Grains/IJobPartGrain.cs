using Fleet.Commands;
using Fleet.Devices;
using Orleans.Concurrency;

namespace Fleet.Grains;

/// <summary>
/// The part of a bulk job that holds a bounded slice of its targets. A twin tells it every state
/// change of a command that names it (<see cref="CommandRequest.JobId"/> is the part's key), one way:
/// the part never waits on the twin's answer and a lost message is repaired by the part asking the
/// twin (<see cref="IDeviceTwinGrain.GetCommand"/>).
/// </summary>
[Alias("Fleet.IJobPartGrain")]
public interface IJobPartGrain : IGrainWithStringKey
{
    [Alias("CommandChanged"), OneWay]
    Task CommandChanged(JobCommandUpdate update);
}

/// <summary>A job command's new state on one device.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.JobCommandUpdate")]
public sealed record JobCommandUpdate(
    [property: Id(0)] DeviceKind Kind,
    [property: Id(1)] string DeviceId,
    [property: Id(2)] string CommandId,
    [property: Id(3)] CommandState State);
