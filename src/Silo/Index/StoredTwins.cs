using Fleet.Devices;
using Fleet.Grains;
using Fleet.Grains.Twins;
using Fleet.Silo.Storage;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Fleet.Silo.Index;

/// <summary>One twin as grain storage holds it.</summary>
internal sealed record StoredTwin(DeviceKind Kind, string Id, TwinState State);

/// <summary>
/// Reads the twins straight from grain storage (fleet_grain_state), page by page, without
/// activating a grain: the rows of the four twin grain types under this service, their payload
/// turned back into <see cref="TwinState"/> by the serializer the twins storage writes with.
/// </summary>
internal sealed class StoredTwins(
    FleetDatabase database,
    IGrainFactory grains,
    IOptions<ClusterOptions> cluster,
    IOptionsMonitor<AdoNetGrainStorageOptions> storage)
{
    /// <summary>The state name of the twin grains' [PersistentState("twin", "twins")].</summary>
    private const string TwinStateName = "twin";

    private Dictionary<string, DeviceKind>? _grainTypes;

    /// <summary>Where a page ended: the primary key of its last row.</summary>
    public sealed record Position(string GrainType, long N0, long N1, string Extension);

    /// <summary>Up to <paramref name="pageSize"/> twins after <paramref name="after"/> (null: from the start); Next is null after the last page.</summary>
    public async Task<(IReadOnlyList<StoredTwin> Twins, Position? Next)> ReadPageAsync(Position? after, int pageSize, CancellationToken cancellationToken)
    {
        var types = GrainTypes();
        var serializer = storage.Get(StorageExtensions.TwinsStorageName).GrainStorageSerializer;
        var twins = new List<StoredTwin>(pageSize);
        Position? last = null;
        var rows = 0;

        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                var typeNames = types.Keys.Order(StringComparer.Ordinal).ToArray();
                var typeParameters = new List<string>();
                for (var i = 0; i < typeNames.Length; i++)
                {
                    typeParameters.Add("@type" + i);
                    FleetDatabase.AddParameter(command, "type" + i, typeNames[i]);
                }

                FleetDatabase.AddParameter(command, "service", cluster.Value.ServiceId);
                FleetDatabase.AddParameter(command, "limit", pageSize);
                var keyset = string.Empty;
                if (after is not null)
                {
                    keyset = " AND (grain_type, grain_id_n0, grain_id_n1, grain_id_ext) > (@afterType, @afterN0, @afterN1, @afterExt)";
                    FleetDatabase.AddParameter(command, "afterType", after.GrainType);
                    FleetDatabase.AddParameter(command, "afterN0", after.N0);
                    FleetDatabase.AddParameter(command, "afterN1", after.N1);
                    FleetDatabase.AddParameter(command, "afterExt", after.Extension);
                }

                command.CommandText =
                    "SELECT grain_type, grain_id_n0, grain_id_n1, grain_id_ext, payload FROM fleet_grain_state " +
                    $"WHERE service_id = @service AND grain_type IN ({string.Join(", ", typeParameters)}){keyset} " +
                    "ORDER BY grain_type, grain_id_n0, grain_id_n1, grain_id_ext LIMIT @limit";

                var reader = await command.ExecuteReaderAsync(cancellationToken);
                await using (reader)
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        rows++;
                        last = new Position(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3));
                        if (reader.IsDBNull(4) || !types.TryGetValue(last.GrainType, out var kind))
                        {
                            continue; // Cleared state: nothing to index.
                        }

                        var payload = reader.GetFieldValue<byte[]>(4);
                        var state = serializer.Deserialize<TwinState>(new BinaryData(payload))
                            ?? throw new InvalidDataException($"The stored twin {last.GrainType} '{last.Extension}' has an empty payload.");
                        twins.Add(new StoredTwin(kind, last.Extension, state));
                    }
                }
            }
        }

        return (twins, rows < pageSize ? null : last);
    }

    /// <summary>"twin@&lt;grain type&gt;" → kind, as <see cref="FleetGrainStorage"/> names the rows.</summary>
    private Dictionary<string, DeviceKind> GrainTypes() => _grainTypes ??= DeviceKinds.All.ToDictionary(
        kind => FleetGrainStorage.StoredName(TwinStateName, grains.GetTwin(kind, "index").GetGrainId()),
        kind => kind,
        StringComparer.Ordinal);
}
