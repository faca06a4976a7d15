using Fleet.Alarms;
using Orleans.Concurrency;

namespace Fleet.Grains.Alarms;

/// <summary>
/// Where alarms are kept, as the grains see it. The silo registers the implementation (the
/// fleet_alarms table); grains never know SQL.
/// </summary>
public interface IAlarmBook
{
    Task<AlarmPage> ListAsync(AlarmQuery query, CancellationToken cancellationToken);

    Task<Alarm?> GetAsync(long id, CancellationToken cancellationToken);

    /// <summary>Acknowledges for a user of the Orleans client; the book records it in the audit log.</summary>
    Task<AckResult> AcknowledgeAsync(long id, string user, string comment, CancellationToken cancellationToken);
}

/// <summary>
/// The Orleans face of the alarm book for .NET city systems. A stateless worker, so each silo
/// answers from its own connection to the alarm table and no activation is hot.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class AlarmsGrain(IAlarmBook book) : Grain, IAlarmsGrain
{
    public Task<AlarmPage> List(AlarmQuery query) => book.ListAsync(query, CancellationToken.None);

    public Task<Alarm?> Get(long id) => book.GetAsync(id, CancellationToken.None);

    public Task<AckResult> Acknowledge(long id, string user, string comment) =>
        book.AcknowledgeAsync(id, user, comment, CancellationToken.None);
}
