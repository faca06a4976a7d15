using Orleans.Concurrency;

namespace Fleet.Alarms;

/// <summary>
/// Alarms for .NET city systems through the Orleans client: the same list, read and acknowledge
/// as /api/alarms. A stateless worker: call <c>GetGrain&lt;IAlarmsGrain&gt;(0)</c> and every silo
/// serves it locally from the alarm table.
/// </summary>
[Alias("Fleet.IAlarmsGrain")]
public interface IAlarmsGrain : IGrainWithIntegerKey
{
    [Alias("List"), ReadOnly]
    Task<AlarmPage> List(AlarmQuery query);

    /// <summary>The alarm, or null when there is none with this id.</summary>
    [Alias("Get"), ReadOnly]
    Task<Alarm?> Get(long id);

    /// <summary>Acknowledges an active alarm in the name of <paramref name="user"/>; recorded in the audit log.</summary>
    [Alias("Acknowledge")]
    Task<AckResult> Acknowledge(long id, string user, string comment);
}
