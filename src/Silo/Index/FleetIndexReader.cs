using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using Fleet.Devices;
using Fleet.Grains.Index;
using Fleet.Queries;
using Fleet.Silo.Storage;

namespace Fleet.Silo.Index;

/// <summary>
/// Answers device queries and borough figures from the index tables with plain SQL — the same
/// statements on SQLite and PostgreSQL. Figures are GROUP BY queries over the index, so no grain
/// (and no single hot spot) is asked.
/// </summary>
internal sealed class FleetIndexReader(FleetDatabase database, TimeProvider time) : IFleetIndexReader
{
    private const string Columns =
        "d.kind, d.id, d.borough, d.lat, d.lon, d.online, d.last_seen, d.faults, d.street, d.zone, d.model, " +
        "d.lamp_on, d.lamp_level, d.lamp_power_w, d.parking_state, d.wifi_up, d.wifi_clients, " +
        "d.meter_medium, d.meter_register, d.meter_consumption, d.version, d.updated_at";

    /// <summary>
    /// q= and bbox can each be answered two ways. With few candidates (at most this many) the
    /// devices come from the filter's own index and only they are read and sorted; with more, the
    /// page is read in sort order and the filter checked row by row, which finds a page after about
    /// limit × devices / this many rows. A count of at most this many + 1 candidates decides, so a
    /// page costs a bounded number of rows however common or rare the text or the area is.
    /// </summary>
    internal const int NarrowCandidates = 2000;

    private const string AreaCandidatesSql =
        "SELECT p.kind, p.id FROM fleet_devices p WHERE p.lon >= @minLon AND p.lon <= @maxLon AND p.lat >= @minLat AND p.lat <= @maxLat";

    public async Task<DeviceQueryResult> QueryDevicesAsync(DeviceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Validate(out var valid) is { } problem)
        {
            return DeviceQueryResult.Invalid(problem);
        }

        DeviceCursor? after = null;
        if (valid.Cursor is { } text && (after = DeviceCursor.Decode(text, valid.Sort)) is null)
        {
            return DeviceQueryResult.Invalid(new QueryProblem(
                "cursor", $"cursor is not one a page sorted by {valid.Sort.ToWire()} returned; a cursor continues the query it came from (start again without it)."));
        }

        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                var where = new List<string>();
                void Filter(string condition, params (string Name, object Value)[] parameters)
                {
                    where.Add(condition);
                    foreach (var (name, value) in parameters)
                    {
                        FleetDatabase.AddParameter(command, name, value);
                    }
                }

                if (valid.Kind is { } kind)
                {
                    Filter("d.kind = @kind", ("kind", kind.ToWire()));
                }

                if (valid.Borough is { } borough)
                {
                    Filter("d.borough = @borough", ("borough", borough));
                }

                if (valid.Online is { } online)
                {
                    Filter("d.online = @online", ("online", online ? 1 : 0));
                }

                if (valid.Fault is { } fault)
                {
                    // An IN list rather than EXISTS: the devices with a rare fault are found from the
                    // fault's rows instead of by probing every device.
                    Filter("(d.kind, d.id) IN (SELECT f.kind, f.id FROM fleet_device_faults f WHERE f.code = @fault)", ("fault", fault));
                }

                if (valid.Text is { } search)
                {
                    var lowered = search.ToLowerInvariant();
                    if (TextCandidates(lowered) is { } candidates
                        && await IsNarrowAsync(connection, candidates.Sql, [candidates.Parameter], cancellationToken))
                    {
                        Filter($"(d.kind, d.id) IN ({candidates.Sql})", candidates.Parameter);
                    }
                    else
                    {
                        Filter("d.search LIKE @search ESCAPE '\\'", ("search", "%" + EscapeLike(lowered) + "%"));
                    }
                }

                if (valid.Area is { } area)
                {
                    (string, object)[] box = [("minLon", area.MinLon), ("maxLon", area.MaxLon), ("minLat", area.MinLat), ("maxLat", area.MaxLat)];
                    if (await IsNarrowAsync(connection, AreaCandidatesSql, box, cancellationToken))
                    {
                        Filter($"(d.kind, d.id) IN ({AreaCandidatesSql})", box);
                    }
                    else
                    {
                        // Unary + keeps SQLite off the position index, so the page is read in sort order;
                        // PostgreSQL's planner judges that itself from its statistics (and would misjudge +lon).
                        Filter(
                            database is SqliteFleetDatabase
                                ? "+d.lon >= @minLon AND +d.lon <= @maxLon AND +d.lat >= @minLat AND +d.lat <= @maxLat"
                                : "d.lon >= @minLon AND d.lon <= @maxLon AND d.lat >= @minLat AND d.lat <= @maxLat",
                            box);
                    }
                }

                string order;
                switch (valid.Sort)
                {
                    case DeviceSort.LastSeenDescending:
                        order = "d.last_seen DESC, d.id DESC, d.kind DESC";
                        if (after is not null)
                        {
                            Filter(
                                "(d.last_seen, d.id, d.kind) < (@afterSeen, @afterId, @afterKind)",
                                ("afterSeen", database.TimeValue(DeviceCursor.FromMicros(after.LastSeenMicros!.Value))),
                                ("afterId", after.Id),
                                ("afterKind", after.Kind));
                        }

                        break;
                    case DeviceSort.Borough:
                        order = "d.borough, d.id, d.kind";
                        if (after is not null)
                        {
                            Filter("(d.borough, d.id, d.kind) > (@afterBorough, @afterId, @afterKind)", ("afterBorough", after.Borough!), ("afterId", after.Id), ("afterKind", after.Kind));
                        }

                        break;
                    default:
                        order = "d.id, d.kind";
                        if (after is not null)
                        {
                            Filter("(d.id, d.kind) > (@afterId, @afterKind)", ("afterId", after.Id), ("afterKind", after.Kind));
                        }

                        break;
                }

                // One more than asked tells whether there is a next page.
                FleetDatabase.AddParameter(command, "limit", valid.Limit + 1);
                command.CommandText =
                    $"SELECT {Columns} FROM fleet_devices d" +
                    (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) +
                    $" ORDER BY {order} LIMIT @limit";

                var items = new List<DeviceSummary>(Math.Min(valid.Limit + 1, 256));
                var reader = await command.ExecuteReaderAsync(cancellationToken);
                await using (reader)
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        items.Add(ReadSummary(reader));
                    }
                }

                string? next = null;
                if (items.Count > valid.Limit)
                {
                    items.RemoveAt(valid.Limit);
                    var last = items[^1];
                    next = new DeviceCursor(
                        valid.Sort,
                        last.Id,
                        last.Kind.ToWire(),
                        last.Borough,
                        DeviceCursor.ToMicros(last.LastSeen ?? DateTimeOffset.MinValue)).Encode();
                }

                return DeviceQueryResult.Of(new DevicePage { Items = [.. items], Next = next });
            }
        }
    }

    public async Task<FleetBoroughs> GetBoroughsAsync(CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var figures = await CountAsync(null, at, cancellationToken);
        return new FleetBoroughs { At = at, Boroughs = [.. Boroughs.All.Select(name => figures[name].Build(name, at))] };
    }

    public async Task<BoroughSummary?> GetBoroughAsync(string name, CancellationToken cancellationToken)
    {
        if (!Boroughs.TryNormalize(name, out var borough))
        {
            return null;
        }

        var at = time.GetUtcNow();
        var figures = await CountAsync(borough, at, cancellationToken);
        return figures[borough].Build(borough, at);
    }

    /// <summary>
    /// Three GROUP BY queries: devices and values (from the covering index fleet_devices_figures),
    /// faults, and the meter steps of the minutes from the one (at − 1 h) resp. (at − 24 h) falls in, up to <paramref name="at"/>.
    /// </summary>
    private async Task<Dictionary<string, BoroughCounter>> CountAsync(string? borough, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var counters = Boroughs.All.ToDictionary(name => name, _ => new BoroughCounter(), StringComparer.Ordinal);
        BoroughCounter? Counter(string name) => counters.GetValueOrDefault(name);

        var onlyBorough = borough is null ? string.Empty : " WHERE d.borough = @borough";
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            await ReadAsync(
                connection,
                "SELECT d.borough, d.kind, d.meter_medium, COUNT(*), SUM(d.online), " +
                "SUM(CASE WHEN d.lamp_on = 1 THEN 1 ELSE 0 END), " +
                "SUM(CASE WHEN d.lamp_on = 1 AND d.lamp_level IS NOT NULL THEN 1 ELSE 0 END), " +
                "SUM(CASE WHEN d.lamp_on = 1 THEN d.lamp_level END), " +
                "SUM(d.lamp_power_w), " +
                "SUM(CASE WHEN d.parking_state = 'free' THEN 1 ELSE 0 END), " +
                "SUM(CASE WHEN d.parking_state = 'occupied' THEN 1 ELSE 0 END), " +
                "SUM(CASE WHEN d.parking_state = 'closed' THEN 1 ELSE 0 END), " +
                "SUM(d.wifi_up), SUM(d.wifi_clients) " +
                "FROM fleet_devices d" + onlyBorough + " GROUP BY d.borough, d.kind, d.meter_medium",
                borough,
                null,
                reader =>
                {
                    if (Counter(reader.GetString(0)) is not { } counter || !DeviceKinds.TryParse(reader.GetString(1), out var kind))
                    {
                        return;
                    }

                    var figures = counter.Kinds[kind];
                    var devices = Long(reader, 3);
                    figures.Devices += devices;
                    figures.Online += Long(reader, 4);
                    figures.Lit += Long(reader, 5);
                    figures.LitWithLevel += Long(reader, 6);
                    figures.LevelSum += Double(reader, 7);
                    figures.PowerW += Double(reader, 8);
                    figures.Free += Long(reader, 9);
                    figures.Occupied += Long(reader, 10);
                    figures.Closed += Long(reader, 11);
                    figures.Up += Long(reader, 12);
                    figures.Clients += Long(reader, 13);
                    if (kind == DeviceKind.Meter && !reader.IsDBNull(2))
                    {
                        counter.Medium(reader.GetString(2)).Meters += devices;
                    }
                },
                cancellationToken);

            await ReadAsync(
                connection,
                "SELECT d.borough, d.kind, f.code, COUNT(*) FROM fleet_device_faults f " +
                "JOIN fleet_devices d ON d.kind = f.kind AND d.id = f.id" + onlyBorough +
                " GROUP BY d.borough, d.kind, f.code",
                borough,
                null,
                reader =>
                {
                    if (Counter(reader.GetString(0)) is { } counter && DeviceKinds.TryParse(reader.GetString(1), out var kind))
                    {
                        var faults = counter.Kinds[kind].Faults;
                        faults[reader.GetString(2)] = faults.GetValueOrDefault(reader.GetString(2)) + Long(reader, 3);
                    }
                },
                cancellationToken);

            await ReadAsync(
                connection,
                "SELECT c.borough, c.medium, SUM(CASE WHEN c.minute >= @hourStart THEN c.amount ELSE 0 END), SUM(c.amount) " +
                "FROM fleet_consumption_minutes c WHERE c.minute >= @dayStart AND c.minute <= @at" +
                (borough is null ? string.Empty : " AND c.borough = @borough") +
                " GROUP BY c.borough, c.medium",
                borough,
                command =>
                {
                    FleetDatabase.AddParameter(command, "hourStart", database.TimeValue(StartOfMinute(at - TimeSpan.FromHours(1))));
                    FleetDatabase.AddParameter(command, "dayStart", database.TimeValue(StartOfMinute(at - TimeSpan.FromDays(1))));
                    FleetDatabase.AddParameter(command, "at", database.TimeValue(FleetDatabase.ToMicroseconds(at)));
                },
                reader =>
                {
                    if (Counter(reader.GetString(0)) is { } counter && !reader.IsDBNull(1))
                    {
                        var medium = counter.Medium(reader.GetString(1));
                        medium.LastHour += Double(reader, 2);
                        medium.LastDay += Double(reader, 3);
                    }
                },
                cancellationToken);
        }

        return counters;
    }

    private static async Task ReadAsync(
        DbConnection connection,
        string sql,
        string? borough,
        Action<DbCommand>? parameters,
        Action<DbDataReader> row,
        CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command)
        {
            command.CommandText = sql;
            if (borough is not null)
            {
                FleetDatabase.AddParameter(command, "borough", borough);
            }

            parameters?.Invoke(command);
            var reader = await command.ExecuteReaderAsync(cancellationToken);
            await using (reader)
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    row(reader);
                }
            }
        }
    }

    private DeviceSummary ReadSummary(DbDataReader reader)
    {
        if (!DeviceKinds.TryParse(reader.GetString(0), out var kind))
        {
            throw new InvalidDataException($"The fleet index holds a row of unknown kind '{reader.GetString(0)}'.");
        }

        bool? Flag(int ordinal) => reader.IsDBNull(ordinal) ? null : Long(reader, ordinal) != 0;
        double? Number(int ordinal) => reader.IsDBNull(ordinal) ? null : Double(reader, ordinal);
        string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

        var lastSeen = database.ReadTime(reader, 6);
        var faults = reader.GetString(7);
        var entry = new IndexEntry
        {
            Kind = kind,
            Id = reader.GetString(1),
            Borough = reader.GetString(2),
            Lat = Double(reader, 3),
            Lon = Double(reader, 4),
            Online = Long(reader, 5) != 0,
            LastSeen = lastSeen == DateTimeOffset.MinValue ? null : lastSeen,
            Faults = faults.Length == 0 ? [] : [.. faults.Split(',')],
            Street = Text(8),
            Zone = Text(9),
            Model = Text(10),
            LampOn = Flag(11),
            LampLevel = Number(12),
            LampPowerW = Number(13),
            ParkingState = Text(14),
            WifiUp = Flag(15),
            WifiClients = reader.IsDBNull(16) ? null : (int)Long(reader, 16),
            MeterMedium = Text(17),
            MeterRegister = Number(18),
            MeterConsumption = Number(19),
            Version = Long(reader, 20),
        };

        return new DeviceSummary
        {
            Kind = entry.Kind,
            Id = entry.Id,
            Borough = entry.Borough,
            Lat = entry.Lat,
            Lon = entry.Lon,
            Online = entry.Online,
            LastSeen = entry.LastSeen,
            Faults = entry.Faults,
            Values = entry.Values(),
            Medium = entry.MeterMedium,
            Street = entry.Street,
            Zone = entry.Zone,
            Model = entry.Model,
            Version = entry.Version,
            IndexedAt = database.ReadTime(reader, 21),
        };
    }

    /// <summary>SQLite hands back integers as long, PostgreSQL as int or long (bigint sums); NULL counts as 0.</summary>
    private static long Long(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static double Double(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0 : Convert.ToDouble(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static DateTimeOffset StartOfMinute(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    /// <summary>
    /// The devices whose search text contains <paramref name="text"/>, found through the engine's
    /// trigram index (SQLite: the FTS5 table of sqlite-0005; PostgreSQL: pg_trgm); null when the
    /// index cannot help: under three characters, or LIKE wildcards in the text.
    /// </summary>
    private (string Sql, (string, object) Parameter)? TextCandidates(string text)
    {
        if (text.Length < 3 || text.AsSpan().IndexOfAny('%', '_', '\\') >= 0)
        {
            return null;
        }

        // A trigram phrase is "contains" in FTS5, answered from the index's positions alone.
        return database is SqliteFleetDatabase
            ? ("SELECT k.kind, k.id FROM fleet_device_search s JOIN fleet_device_search_keys k ON k.rid = s.rowid WHERE fleet_device_search MATCH @searchText",
               ("searchText", "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""))
            : ("SELECT s.kind, s.id FROM fleet_devices s WHERE s.search LIKE @searchText", ("searchText", "%" + text + "%"));
    }

    private static async Task<bool> IsNarrowAsync(DbConnection connection, string candidatesSql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var probe = connection.CreateCommand();
        await using (probe)
        {
            probe.CommandText = string.Create(CultureInfo.InvariantCulture, $"SELECT COUNT(*) FROM ({candidatesSql} LIMIT {NarrowCandidates + 1}) c");
            foreach (var (name, value) in parameters)
            {
                FleetDatabase.AddParameter(probe, name, value);
            }

            return Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) <= NarrowCandidates;
        }
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>Sums for one borough while the rows come in.</summary>
    private sealed class BoroughCounter
    {
        public Dictionary<DeviceKind, KindCounter> Kinds { get; } = DeviceKinds.All.ToDictionary(kind => kind, _ => new KindCounter());

        public Dictionary<string, MediumCounter> Media { get; } = MeterMedia.All.ToDictionary(medium => medium, _ => new MediumCounter(), StringComparer.Ordinal);

        public MediumCounter Medium(string medium)
        {
            if (!Media.TryGetValue(medium, out var counter))
            {
                Media[medium] = counter = new MediumCounter();
            }

            return counter;
        }

        public BoroughSummary Build(string name, DateTimeOffset at)
        {
            var lamp = Kinds[DeviceKind.Lamp];
            var parking = Kinds[DeviceKind.Parking];
            var wifi = Kinds[DeviceKind.Wifi];
            var meter = Kinds[DeviceKind.Meter];
            var faults = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (code, count) in Kinds.Values.SelectMany(kind => kind.Faults))
            {
                faults[code] = faults.GetValueOrDefault(code) + count;
            }

            return new BoroughSummary
            {
                Name = name,
                At = at,
                Devices = (int)Kinds.Values.Sum(kind => kind.Devices),
                Online = (int)Kinds.Values.Sum(kind => kind.Online),
                Faults = Sorted(faults),
                Lamp = new LampFigures
                {
                    Devices = (int)lamp.Devices,
                    Online = (int)lamp.Online,
                    Faults = Sorted(lamp.Faults),
                    Lit = (int)lamp.Lit,
                    AverageLevel = lamp.LitWithLevel == 0 ? null : lamp.LevelSum / lamp.LitWithLevel,
                    PowerW = lamp.PowerW,
                },
                Parking = new ParkingFigures
                {
                    Devices = (int)parking.Devices,
                    Online = (int)parking.Online,
                    Faults = Sorted(parking.Faults),
                    Total = (int)parking.Devices,
                    Free = (int)parking.Free,
                    Occupied = (int)parking.Occupied,
                    Closed = (int)parking.Closed,
                    Unknown = (int)(parking.Devices - parking.Free - parking.Occupied - parking.Closed),
                },
                Wifi = new WifiFigures
                {
                    Devices = (int)wifi.Devices,
                    Online = (int)wifi.Online,
                    Faults = Sorted(wifi.Faults),
                    Up = (int)wifi.Up,
                    Clients = (int)wifi.Clients,
                },
                Meter = new MeterFigures
                {
                    Devices = (int)meter.Devices,
                    Online = (int)meter.Online,
                    Faults = Sorted(meter.Faults),
                    Consumption = Media.ToImmutableSortedDictionary(
                        pair => pair.Key,
                        pair => new MediumConsumption
                        {
                            Unit = MeterMedia.UnitOf(pair.Key),
                            Meters = (int)pair.Value.Meters,
                            LastHour = pair.Value.LastHour,
                            LastDay = pair.Value.LastDay,
                        },
                        StringComparer.Ordinal),
                },
            };
        }

        private static ImmutableSortedDictionary<string, int> Sorted(Dictionary<string, long> counts) =>
            counts.ToImmutableSortedDictionary(pair => pair.Key, pair => (int)pair.Value, StringComparer.Ordinal);
    }

    private sealed class KindCounter
    {
        public long Devices { get; set; }
        public long Online { get; set; }
        public Dictionary<string, long> Faults { get; } = new(StringComparer.Ordinal);
        public long Lit { get; set; }
        public long LitWithLevel { get; set; }
        public double LevelSum { get; set; }
        public double PowerW { get; set; }
        public long Free { get; set; }
        public long Occupied { get; set; }
        public long Closed { get; set; }
        public long Up { get; set; }
        public long Clients { get; set; }
    }

    private sealed class MediumCounter
    {
        public long Meters { get; set; }
        public double LastHour { get; set; }
        public double LastDay { get; set; }
    }
}
