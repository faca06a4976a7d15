using System.Buffers.Text;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Fleet.Silo.Auth;
using Fleet.Silo.Storage;

namespace Fleet.Silo.Audit;

/// <summary>A page of GET /api/audit: newest first, at most Limit entries.</summary>
public sealed record AuditQuery(
    string? Actor = null,
    string? Action = null,
    string? Kind = null,
    string? TargetId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Limit = AuditQuery.DefaultLimit,
    AuditCursor? After = null)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
}

/// <summary>Where the previous page ended: the (time, id) of its last entry. Opaque to clients.</summary>
public readonly record struct AuditCursor(DateTimeOffset At, long Id)
{
    public string Encode() => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(
        string.Create(CultureInfo.InvariantCulture, $"{(At.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10}.{Id}")));

    public static AuditCursor? TryParse(string text)
    {
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            return parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                && micros <= (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10
                ? new AuditCursor(new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string? Next);

/// <summary>
/// The fleet_audit table, on whichever database the silo stores grain state in (the same SQL runs
/// on SQLite and PostgreSQL). Appends come in batches from <see cref="AuditWriter"/>.
/// </summary>
internal sealed class AuditStore(FleetDatabase database)
{
    private const string Columns = "id, at, actor_id, actor_name, actor_role, action, target_kind, target_id, detail, status, outcome";

    public FleetDatabase Database => database;

    /// <summary>Writes the entries in one transaction (on SQLite, one turn of the write lane).</summary>
    public Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        return database.WriteAsync(
            async (connection, transaction) =>
            {
                var command = connection.CreateCommand();
                await using (command)
                {
                    command.Transaction = transaction;
                    command.CommandText =
                        "INSERT INTO fleet_audit (at, actor_id, actor_name, actor_role, action, target_kind, target_id, detail, status, outcome) " +
                        "VALUES (@at, @actorId, @actorName, @actorRole, @action, @targetKind, @targetId, @detail, @status, @outcome)";
                    foreach (var entry in entries)
                    {
                        command.Parameters.Clear();
                        FleetDatabase.AddParameter(command, "at", database.TimeValue(entry.At));
                        FleetDatabase.AddParameter(command, "actorId", entry.Actor.Id);
                        FleetDatabase.AddParameter(command, "actorName", entry.Actor.Name);
                        FleetDatabase.AddParameter(command, "actorRole", entry.Actor.Role);
                        FleetDatabase.AddParameter(command, "action", entry.Action);
                        FleetDatabase.AddParameter(command, "targetKind", entry.TargetKind);
                        FleetDatabase.AddParameter(command, "targetId", entry.TargetId);
                        FleetDatabase.AddParameter(command, "detail", entry.Detail);
                        FleetDatabase.AddParameter(command, "status", entry.Status);
                        FleetDatabase.AddParameter(command, "outcome", entry.Outcome);
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }

                    return entries.Count;
                }
            },
            cancellationToken);
    }

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, AuditQuery.MaxLimit);
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                var where = new List<string>();
                void Filter(string condition, string name, object? value)
                {
                    if (value is not null)
                    {
                        where.Add(condition);
                        FleetDatabase.AddParameter(command, name, value);
                    }
                }

                Filter("(actor_id = @actor OR actor_name = @actor)", "actor", query.Actor);
                Filter("action = @action", "action", query.Action);
                Filter("target_kind = @kind", "kind", query.Kind);
                Filter("target_id = @targetId", "targetId", query.TargetId);
                Filter("at >= @from", "from", query.From is { } from ? database.TimeValue(FleetDatabase.ToMicroseconds(from)) : null);
                Filter("at < @to", "to", query.To is { } to ? database.TimeValue(FleetDatabase.ToMicroseconds(to)) : null);
                if (query.After is { } after)
                {
                    where.Add("(at < @afterAt OR (at = @afterAt AND id < @afterId))");
                    FleetDatabase.AddParameter(command, "afterAt", database.TimeValue(after.At));
                    FleetDatabase.AddParameter(command, "afterId", after.Id);
                }

                // One more than asked tells whether there is a next page.
                FleetDatabase.AddParameter(command, "limit", limit + 1);
                command.CommandText =
                    $"SELECT {Columns} FROM fleet_audit" +
                    (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) +
                    " ORDER BY at DESC, id DESC LIMIT @limit";

                var entries = new List<AuditEntry>(limit + 1);
                var reader = await command.ExecuteReaderAsync(cancellationToken);
                await using (reader)
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        entries.Add(Read(reader));
                    }
                }

                if (entries.Count <= limit)
                {
                    return new AuditPage(entries, null);
                }

                entries.RemoveAt(limit);
                var last = entries[^1];
                return new AuditPage(entries, new AuditCursor(last.At, last.Id).Encode());
            }
        }
    }

    private AuditEntry Read(DbDataReader reader) => new(
        At: database.ReadTime(reader, 1),
        Actor: new FleetActor(reader.GetString(2), reader.GetString(3), reader.GetString(4)),
        Action: reader.GetString(5),
        TargetKind: reader.IsDBNull(6) ? null : reader.GetString(6),
        TargetId: reader.IsDBNull(7) ? null : reader.GetString(7),
        Detail: reader.IsDBNull(8) ? null : reader.GetString(8),
        Status: reader.GetInt32(9),
        Outcome: reader.GetString(10))
    {
        Id = reader.GetInt64(0),
    };
}
