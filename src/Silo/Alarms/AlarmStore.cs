using System.Buffers.Text;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Fleet.Alarms;
using Fleet.Devices;
using Fleet.Silo.Storage;

namespace Fleet.Silo.Alarms;

/// <summary>What an alarm write did, for the live events.</summary>
internal sealed record AlarmTransition(string EventType, Alarm Alarm);

/// <summary>A device's connectivity as the alarm table keeps it.</summary>
internal sealed record AlarmDevice(DeviceKind Kind, string DeviceId, string Borough, bool Online, DateTimeOffset? LastSeen, long Version);

/// <summary>
/// The fleet_alarms and fleet_alarm_devices tables, on whichever database the silo keeps grain
/// state in (the same SQL runs on SQLite and PostgreSQL). Every lifecycle step is one guarded
/// statement, and a partial unique index keeps at most one open alarm per device and type, so
/// silos writing at once cannot open duplicates.
/// </summary>
internal sealed class AlarmStore(FleetDatabase database)
{
    private const string Columns =
        "id, kind, device_id, borough, type, severity, state, detail, count, raised_at, last_raised_at, " +
        "cleared_at, acknowledged_at, acknowledged_by_name, ack_comment, updated_at";

    private const string Open = "state <> 'cleared'";

    public FleetDatabase Database => database;

    /// <summary>Runs <paramref name="work"/> in one write transaction (one turn of the SQLite write lane).</summary>
    public Task<List<AlarmTransition>> WriteAsync(Func<AlarmWriteSession, Task> work, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async (connection, transaction) =>
            {
                var session = new AlarmWriteSession(database, connection, transaction, cancellationToken);
                await work(session);
                return session.Transitions;
            },
            cancellationToken);

    public async Task<AlarmPage> ListAsync(AlarmQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, AlarmQuery.MaxLimit);
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                var where = new List<string>();
                void Filter(string column, object? value)
                {
                    if (value is not null)
                    {
                        where.Add($"{column} = @{column}");
                        FleetDatabase.AddParameter(command, column, value);
                    }
                }

                Filter("state", query.State is { } state ? Text(state) : null);
                Filter("severity", query.Severity is { } severity ? Text(severity) : null);
                Filter("borough", query.Borough);
                Filter("kind", query.Kind?.ToWire());
                Filter("device_id", query.DeviceId);
                if (query.Cursor is { } cursor)
                {
                    where.Add("id < @after");
                    FleetDatabase.AddParameter(command, "after", ParseCursor(cursor) ?? throw new FormatException("The cursor is not valid."));
                }

                command.CommandText = $"SELECT {Columns} FROM fleet_alarms"
                    + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty)
                    + " ORDER BY id DESC LIMIT @limit";
                FleetDatabase.AddParameter(command, "limit", limit + 1);
                var alarms = await ReadAlarmsAsync(database, command, cancellationToken);
                var more = alarms.Count > limit;
                if (more)
                {
                    alarms.RemoveAt(alarms.Count - 1);
                }

                return new AlarmPage { Alarms = [.. alarms], Next = more ? EncodeCursor(alarms[^1].Id) : null };
            }
        }
    }

    public async Task<Alarm?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = $"SELECT {Columns} FROM fleet_alarms WHERE id = @id";
                FleetDatabase.AddParameter(command, "id", id);
                return (await ReadAlarmsAsync(database, command, cancellationToken)).FirstOrDefault();
            }
        }
    }

    /// <summary>Open alarms of these devices (at most a few per device).</summary>
    public async Task<List<Alarm>> OpenAlarmsOfAsync(DeviceKind kind, IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        if (deviceIds.Count == 0)
        {
            return [];
        }

        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                var names = deviceIds.Select((id, i) =>
                {
                    FleetDatabase.AddParameter(command, "d" + i.ToString(CultureInfo.InvariantCulture), id);
                    return "@d" + i.ToString(CultureInfo.InvariantCulture);
                });
                command.CommandText = $"SELECT {Columns} FROM fleet_alarms WHERE kind = @kind AND device_id IN ({string.Join(", ", names)}) AND {Open}";
                FleetDatabase.AddParameter(command, "kind", kind.ToWire());
                return await ReadAlarmsAsync(database, command, cancellationToken);
            }
        }
    }

    /// <summary>Open fault alarms (not offline) after <paramref name="afterId"/>, in id order, for the reconcile.</summary>
    public async Task<List<Alarm>> OpenFaultAlarmsAsync(long afterId, int limit, CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = $"SELECT {Columns} FROM fleet_alarms WHERE {Open} AND type <> @offline AND id > @after ORDER BY id LIMIT @limit";
                FleetDatabase.AddParameter(command, "offline", AlarmTypes.Offline);
                FleetDatabase.AddParameter(command, "after", afterId);
                FleetDatabase.AddParameter(command, "limit", limit);
                return await ReadAlarmsAsync(database, command, cancellationToken);
            }
        }
    }

    /// <summary>Devices of <paramref name="kind"/> offline and unheard of since before <paramref name="cutoff"/> that have no offline alarm yet, oldest first.</summary>
    public async Task<List<AlarmDevice>> OverdueAsync(DeviceKind kind, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText =
                    "SELECT kind, device_id, borough, online, last_seen, version FROM fleet_alarm_devices " +
                    "WHERE kind = @kind AND online = @no AND offline_alarm = @no AND last_seen IS NOT NULL AND last_seen < @cutoff " +
                    "ORDER BY last_seen LIMIT @limit";
                FleetDatabase.AddParameter(command, "kind", kind.ToWire());
                FleetDatabase.AddParameter(command, "no", false);
                FleetDatabase.AddParameter(command, "cutoff", database.TimeValue(cutoff));
                FleetDatabase.AddParameter(command, "limit", limit);
                var devices = new List<AlarmDevice>();
                var reader = await command.ExecuteReaderAsync(cancellationToken);
                await using (reader)
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        devices.Add(ReadDevice(database, reader));
                    }
                }

                return devices;
            }
        }
    }

    public static string Text(AlarmState state) => state.ToString().ToLowerInvariant();

    public static string Text(AlarmSeverity severity) => severity.ToString().ToLowerInvariant();

    public static string EncodeCursor(long id) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes("a" + id.ToString(CultureInfo.InvariantCulture)));

    public static long? ParseCursor(string text)
    {
        try
        {
            var decoded = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text));
            return decoded.StartsWith('a') && long.TryParse(decoded.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static async Task<List<Alarm>> ReadAlarmsAsync(FleetDatabase database, DbCommand command, CancellationToken cancellationToken)
    {
        var alarms = new List<Alarm>();
        var reader = await command.ExecuteReaderAsync(cancellationToken);
        await using (reader)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                alarms.Add(ReadAlarm(database, reader));
            }
        }

        return alarms;
    }

    private static Alarm ReadAlarm(FleetDatabase database, DbDataReader reader)
    {
        DateTimeOffset? Time(int ordinal) => reader.IsDBNull(ordinal) ? null : database.ReadTime(reader, ordinal);
        string? Str(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
        return new Alarm
        {
            Id = reader.GetInt64(0),
            Kind = Kind(reader.GetString(1)),
            DeviceId = reader.GetString(2),
            Borough = reader.GetString(3),
            Type = reader.GetString(4),
            Severity = Enum.Parse<AlarmSeverity>(reader.GetString(5), ignoreCase: true),
            State = Enum.Parse<AlarmState>(reader.GetString(6), ignoreCase: true),
            Detail = reader.GetString(7),
            Count = Convert.ToInt32(reader.GetValue(8), CultureInfo.InvariantCulture),
            RaisedAt = database.ReadTime(reader, 9),
            LastRaisedAt = database.ReadTime(reader, 10),
            ClearedAt = Time(11),
            AcknowledgedAt = Time(12),
            AcknowledgedBy = Str(13),
            Comment = Str(14),
            UpdatedAt = database.ReadTime(reader, 15),
        };
    }

    internal static AlarmDevice ReadDevice(FleetDatabase database, DbDataReader reader)
    {
        return new AlarmDevice(
            Kind(reader.GetString(0)),
            reader.GetString(1),
            reader.GetString(2),
            Convert.ToBoolean(reader.GetValue(3), CultureInfo.InvariantCulture),
            reader.IsDBNull(4) ? null : database.ReadTime(reader, 4),
            Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture));
    }

    internal const string AlarmColumns = Columns;

    private static DeviceKind Kind(string text) =>
        DeviceKinds.TryParse(text, out var kind) ? kind : throw new InvalidDataException($"'{text}' in fleet_alarms is not a device kind.");
}

/// <summary>The statements of one alarm write transaction; collects the transitions for the live events.</summary>
internal sealed class AlarmWriteSession(FleetDatabase database, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
{
    private const string Returning = " RETURNING " + AlarmStore.AlarmColumns;

    public List<AlarmTransition> Transitions { get; } = [];

    /// <summary>
    /// Records a device's connectivity unless a newer twin version is recorded already; true when
    /// it was recorded. Coming online resets the offline-alarm mark.
    /// </summary>
    public async Task<bool> SaveDeviceAsync(AlarmDevice device)
    {
        var command = Command(
            "INSERT INTO fleet_alarm_devices (kind, device_id, borough, online, last_seen, offline_alarm, version) " +
            "VALUES (@kind, @id, @borough, @online, @lastSeen, @no, @version) " +
            "ON CONFLICT (kind, device_id) DO UPDATE SET borough = excluded.borough, online = excluded.online, last_seen = excluded.last_seen, " +
            "offline_alarm = CASE WHEN excluded.online THEN excluded.offline_alarm ELSE fleet_alarm_devices.offline_alarm END, version = excluded.version " +
            "WHERE excluded.version >= fleet_alarm_devices.version");
        await using (command)
        {
            FleetDatabase.AddParameter(command, "kind", device.Kind.ToWire());
            FleetDatabase.AddParameter(command, "id", device.DeviceId);
            FleetDatabase.AddParameter(command, "borough", device.Borough);
            FleetDatabase.AddParameter(command, "online", device.Online);
            FleetDatabase.AddParameter(command, "lastSeen", device.LastSeen is { } seen ? database.TimeValue(seen) : null);
            FleetDatabase.AddParameter(command, "no", false);
            FleetDatabase.AddParameter(command, "version", device.Version);
            return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        }
    }

    /// <summary>Adds a device the table does not know yet; a known one is left as it is.</summary>
    public async Task SeedDeviceAsync(AlarmDevice device)
    {
        var command = Command(
            "INSERT INTO fleet_alarm_devices (kind, device_id, borough, online, last_seen, offline_alarm, version) " +
            "VALUES (@kind, @id, @borough, @online, @lastSeen, @no, @version) ON CONFLICT (kind, device_id) DO NOTHING");
        await using (command)
        {
            FleetDatabase.AddParameter(command, "kind", device.Kind.ToWire());
            FleetDatabase.AddParameter(command, "id", device.DeviceId);
            FleetDatabase.AddParameter(command, "borough", device.Borough);
            FleetDatabase.AddParameter(command, "online", device.Online);
            FleetDatabase.AddParameter(command, "lastSeen", device.LastSeen is { } seen ? database.TimeValue(seen) : null);
            FleetDatabase.AddParameter(command, "no", false);
            FleetDatabase.AddParameter(command, "version", device.Version);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>The recorded twin version of a device, or null when the table does not know it.</summary>
    public async Task<long?> DeviceVersionAsync(DeviceKind kind, string deviceId)
    {
        var command = Command("SELECT version FROM fleet_alarm_devices WHERE kind = @kind AND device_id = @id");
        await using (command)
        {
            FleetDatabase.AddParameter(command, "kind", kind.ToWire());
            FleetDatabase.AddParameter(command, "id", deviceId);
            var value = await command.ExecuteScalarAsync(cancellationToken);
            return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
    }

    public async Task<List<Alarm>> OpenAlarmsAsync(DeviceKind kind, string deviceId)
    {
        var command = Command($"SELECT {AlarmStore.AlarmColumns} FROM fleet_alarms WHERE kind = @kind AND device_id = @id AND state <> 'cleared'");
        await using (command)
        {
            FleetDatabase.AddParameter(command, "kind", kind.ToWire());
            FleetDatabase.AddParameter(command, "id", deviceId);
            return await AlarmStore.ReadAlarmsAsync(database, command, cancellationToken);
        }
    }

    public async Task ForgetDeviceAsync(DeviceKind kind, string deviceId)
    {
        var command = Command("DELETE FROM fleet_alarm_devices WHERE kind = @kind AND device_id = @id");
        await using (command)
        {
            FleetDatabase.AddParameter(command, "kind", kind.ToWire());
            FleetDatabase.AddParameter(command, "id", deviceId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Marks a device's offline alarm as opened, if it is still offline and unmarked; true when this call marked it.</summary>
    public async Task<bool> MarkOfflineAlarmAsync(DeviceKind kind, string deviceId)
    {
        var command = Command(
            "UPDATE fleet_alarm_devices SET offline_alarm = @yes WHERE kind = @kind AND device_id = @id AND online = @no AND offline_alarm = @no");
        await using (command)
        {
            FleetDatabase.AddParameter(command, "yes", true);
            FleetDatabase.AddParameter(command, "no", false);
            FleetDatabase.AddParameter(command, "kind", kind.ToWire());
            FleetDatabase.AddParameter(command, "id", deviceId);
            return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        }
    }

    /// <summary>
    /// A fault (or offline) is raised: an open alarm of the type only takes the new detail; one
    /// cleared since <paramref name="holdFrom"/> reopens with count + 1; otherwise a new alarm opens.
    /// </summary>
    public async Task RaiseAsync(DeviceKind kind, string deviceId, string borough, string type, string detail, DateTimeOffset raisedAt, DateTimeOffset holdFrom, DateTimeOffset now)
    {
        var refresh = Command(
            "UPDATE fleet_alarms SET detail = @detail, updated_at = @now WHERE kind = @kind AND device_id = @id AND type = @type AND state <> 'cleared'");
        await using (refresh)
        {
            AddKey(refresh, kind, deviceId, type);
            FleetDatabase.AddParameter(refresh, "detail", detail);
            FleetDatabase.AddParameter(refresh, "now", database.TimeValue(now));
            if (await refresh.ExecuteNonQueryAsync(cancellationToken) > 0)
            {
                return;
            }
        }

        var reopen = Command(
            "UPDATE fleet_alarms SET state = 'active', count = count + 1, detail = @detail, last_raised_at = @raisedAt, cleared_at = NULL, " +
            "acknowledged_at = NULL, acknowledged_by_id = NULL, acknowledged_by_name = NULL, ack_comment = NULL, updated_at = @now " +
            "WHERE id = (SELECT id FROM fleet_alarms WHERE kind = @kind AND device_id = @id AND type = @type AND state = 'cleared' " +
            "AND cleared_at >= @holdFrom ORDER BY cleared_at DESC LIMIT 1)" + Returning);
        await using (reopen)
        {
            AddKey(reopen, kind, deviceId, type);
            FleetDatabase.AddParameter(reopen, "detail", detail);
            FleetDatabase.AddParameter(reopen, "raisedAt", database.TimeValue(raisedAt));
            FleetDatabase.AddParameter(reopen, "holdFrom", database.TimeValue(holdFrom));
            FleetDatabase.AddParameter(reopen, "now", database.TimeValue(now));
            if (await ReadOneAsync(reopen) is { } reopened)
            {
                Transitions.Add(new AlarmTransition(Fleet.Events.FleetEventTypes.AlarmOpened, reopened));
                return;
            }
        }

        var insert = Command(
            "INSERT INTO fleet_alarms (kind, device_id, borough, type, severity, state, detail, count, raised_at, last_raised_at, updated_at) " +
            "VALUES (@kind, @id, @borough, @type, @severity, 'active', @detail, 1, @raisedAt, @raisedAt, @now) " +
            "ON CONFLICT (kind, device_id, type) WHERE state <> 'cleared' DO NOTHING" + Returning);
        await using (insert)
        {
            AddKey(insert, kind, deviceId, type);
            FleetDatabase.AddParameter(insert, "borough", borough);
            FleetDatabase.AddParameter(insert, "severity", AlarmStore.Text(AlarmSeverities.For(kind, type)));
            FleetDatabase.AddParameter(insert, "detail", detail);
            FleetDatabase.AddParameter(insert, "raisedAt", database.TimeValue(raisedAt));
            FleetDatabase.AddParameter(insert, "now", database.TimeValue(now));
            if (await ReadOneAsync(insert) is { } opened)
            {
                Transitions.Add(new AlarmTransition(Fleet.Events.FleetEventTypes.AlarmOpened, opened));
            }
        }
    }

    /// <summary>The fault went away: the open alarm of the type (active or acknowledged) clears.</summary>
    public async Task ClearAsync(DeviceKind kind, string deviceId, string type, DateTimeOffset clearedAt, string? detail = null)
    {
        var command = Command(
            "UPDATE fleet_alarms SET state = 'cleared', cleared_at = @at, updated_at = @at" + (detail is null ? string.Empty : ", detail = @detail") +
            " WHERE kind = @kind AND device_id = @id AND type = @type AND state <> 'cleared'" + Returning);
        await using (command)
        {
            AddKey(command, kind, deviceId, type);
            FleetDatabase.AddParameter(command, "at", database.TimeValue(clearedAt));
            if (detail is not null)
            {
                FleetDatabase.AddParameter(command, "detail", detail);
            }

            if (await ReadOneAsync(command) is { } cleared)
            {
                Transitions.Add(new AlarmTransition(Fleet.Events.FleetEventTypes.AlarmCleared, cleared));
            }
        }
    }

    /// <summary>Clears every open alarm of a device (it was decommissioned).</summary>
    public async Task ClearAllAsync(DeviceKind kind, string deviceId, DateTimeOffset clearedAt, string detail)
    {
        var command = Command(
            "UPDATE fleet_alarms SET state = 'cleared', cleared_at = @at, updated_at = @at, detail = @detail " +
            "WHERE kind = @kind AND device_id = @id AND state <> 'cleared'" + Returning);
        await using (command)
        {
            FleetDatabase.AddParameter(command, "kind", kind.ToWire());
            FleetDatabase.AddParameter(command, "id", deviceId);
            FleetDatabase.AddParameter(command, "at", database.TimeValue(clearedAt));
            FleetDatabase.AddParameter(command, "detail", detail);
            foreach (var cleared in await AlarmStore.ReadAlarmsAsync(database, command, cancellationToken))
            {
                Transitions.Add(new AlarmTransition(Fleet.Events.FleetEventTypes.AlarmCleared, cleared));
            }
        }
    }

    /// <summary>Acknowledges an active alarm; otherwise says why not.</summary>
    public async Task<AckResult> AcknowledgeAsync(long alarmId, string actorId, string actorName, string comment, DateTimeOffset now)
    {
        var command = Command(
            "UPDATE fleet_alarms SET state = 'acknowledged', acknowledged_at = @now, acknowledged_by_id = @actorId, " +
            "acknowledged_by_name = @actorName, ack_comment = @comment, updated_at = @now WHERE id = @alarm AND state = 'active'" + Returning);
        await using (command)
        {
            FleetDatabase.AddParameter(command, "now", database.TimeValue(now));
            FleetDatabase.AddParameter(command, "actorId", actorId);
            FleetDatabase.AddParameter(command, "actorName", actorName);
            FleetDatabase.AddParameter(command, "comment", comment);
            FleetDatabase.AddParameter(command, "alarm", alarmId);
            if (await ReadOneAsync(command) is { } acknowledged)
            {
                Transitions.Add(new AlarmTransition(Fleet.Events.FleetEventTypes.AlarmAcknowledged, acknowledged));
                return new AckResult { Outcome = AckOutcome.Acknowledged, Alarm = acknowledged };
            }
        }

        var read = Command($"SELECT {AlarmStore.AlarmColumns} FROM fleet_alarms WHERE id = @alarm");
        await using (read)
        {
            FleetDatabase.AddParameter(read, "alarm", alarmId);
            return await ReadOneAsync(read) switch
            {
                null => new AckResult { Outcome = AckOutcome.NotFound, Error = $"There is no alarm {alarmId}." },
                { State: AlarmState.Cleared } alarm => new AckResult
                {
                    Outcome = AckOutcome.AlreadyCleared,
                    Alarm = alarm,
                    Error = string.Create(CultureInfo.InvariantCulture, $"Alarm {alarmId} cleared at {alarm.ClearedAt:u}; there is nothing left to acknowledge."),
                },
                var alarm => new AckResult
                {
                    Outcome = AckOutcome.AlreadyAcknowledged,
                    Alarm = alarm,
                    Error = string.Create(CultureInfo.InvariantCulture, $"Alarm {alarmId} was acknowledged by {alarm.AcknowledgedBy} at {alarm.AcknowledgedAt:u}."),
                },
            };
        }
    }

    private DbCommand Command(string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void AddKey(DbCommand command, DeviceKind kind, string deviceId, string type)
    {
        FleetDatabase.AddParameter(command, "kind", kind.ToWire());
        FleetDatabase.AddParameter(command, "id", deviceId);
        FleetDatabase.AddParameter(command, "type", type);
    }

    private async Task<Alarm?> ReadOneAsync(DbCommand command) =>
        (await AlarmStore.ReadAlarmsAsync(database, command, cancellationToken)).FirstOrDefault();
}
