using System.Globalization;
using Orleans.Storage;

namespace Fleet.Silo.Storage;

/// <summary>
/// Fleet's face on the Orleans ADO.NET grain storage. It does two things:
/// <list type="bullet">
/// <item>Qualifies the state name with the grain type. Orleans passes only the state name and the
/// ADO.NET provider keys rows by the grain's key alone, so a lamp "42" and a meter "42", both with
/// state "twin", would otherwise share one row.</item>
/// <item>Writes go to the silo's <see cref="StateWriteBatcher"/>, which commits many grains' rows in
/// one transaction (same rows, same version rule as the provider's). Reads go to the provider and are
/// not serialised (WAL lets them run beside the writer); clears, rare, go through the provider and,
/// on SQLite, the database's <see cref="WriteLane"/>.</item>
/// </list>
/// </summary>
internal sealed class FleetGrainStorage(
    AdoNetGrainStorage inner,
    StateWriteBatcher writer,
    IGrainStorageSerializer serializer,
    string serviceId,
    WriteLane? writeLane)
    : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly AdoNetGrainStorage _inner = inner;
    private readonly WriteLane? _writeLane = writeLane;

    /// <summary>The name rows are stored under: "&lt;state name&gt;@&lt;grain type&gt;".</summary>
    internal static string StoredName(string stateName, GrainId grainId) => $"{stateName}@{grainId.Type}";

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        _inner.ReadStateAsync(StoredName(stateName, grainId), grainId, grainState, cancellationToken);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        // Serialised now, on the grain's turn: the state may change once the grain awaits.
        var payload = serializer.Serialize(grainState.State).ToArray();
        int? expected = string.IsNullOrWhiteSpace(grainState.ETag) ? null : int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
        var key = GrainStateKey.For(serviceId, StoredName(stateName, grainId), grainId);
        var version = await writer.WriteAsync(key, payload, expected, cancellationToken)
            ?? throw new InconsistentStateException(
                $"Version conflict (WriteState): {key.GrainType} {grainId} holds ETag {grainState.ETag ?? "none"}, the stored row has moved on.",
                storedEtag: "unknown",
                currentEtag: grainState.ETag ?? "");
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        InLaneAsync(() => _inner.ClearStateAsync(StoredName(stateName, grainId), grainId, grainState, cancellationToken), cancellationToken);

    /// <summary>The provider loads its queries in the silo lifecycle; it still has to take part.</summary>
    public void Participate(ISiloLifecycle lifecycle) => _inner.Participate(lifecycle);

    private Task InLaneAsync(Func<Task> operation, CancellationToken cancellationToken) =>
        _writeLane is null ? operation() : _writeLane.RunAsync(operation, cancellationToken);
}
