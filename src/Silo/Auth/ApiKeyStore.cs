using System.Data.Common;
using Fleet.Silo.Storage;

namespace Fleet.Silo.Auth;

/// <summary>One API key as stored: never the key itself, only its SHA-256.</summary>
public sealed record ApiKeyRecord(
    string Id,
    string KeyHash,
    string Name,
    string Role,
    DateTimeOffset CreatedAt,
    KeyActor CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt = null,
    KeyActor? RevokedBy = null)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;
}

/// <summary>The key (id and name) that created or revoked a key.</summary>
public sealed record KeyActor(string Id, string Name)
{
    public static KeyActor Of(FleetActor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return new(actor.Id, actor.Name);
    }
}

/// <summary>
/// The fleet_api_keys table, on whichever database the silo stores grain state in (the same SQL
/// runs on SQLite and PostgreSQL). Lookups by id are what authentication needs on a cache miss;
/// writes are rare admin actions.
/// </summary>
internal sealed class ApiKeyStore(FleetDatabase database)
{
    private const string Columns =
        "id, key_hash, name, role, created_at, created_by_id, created_by_name, expires_at, revoked_at, revoked_by_id, revoked_by_name";

    public Task CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async (connection, transaction) =>
            {
                var command = connection.CreateCommand();
                await using (command)
                {
                    command.Transaction = transaction;
                    command.CommandText =
                        "INSERT INTO fleet_api_keys (id, key_hash, name, role, created_at, created_by_id, created_by_name, expires_at) " +
                        "VALUES (@id, @hash, @name, @role, @createdAt, @createdById, @createdByName, @expiresAt)";
                    FleetDatabase.AddParameter(command, "id", key.Id);
                    FleetDatabase.AddParameter(command, "hash", key.KeyHash);
                    FleetDatabase.AddParameter(command, "name", key.Name);
                    FleetDatabase.AddParameter(command, "role", key.Role);
                    FleetDatabase.AddParameter(command, "createdAt", database.TimeValue(key.CreatedAt));
                    FleetDatabase.AddParameter(command, "createdById", key.CreatedBy.Id);
                    FleetDatabase.AddParameter(command, "createdByName", key.CreatedBy.Name);
                    FleetDatabase.AddParameter(command, "expiresAt", key.ExpiresAt is { } expires ? database.TimeValue(expires) : null);
                    return await command.ExecuteNonQueryAsync(cancellationToken);
                }
            },
            cancellationToken);

    public async Task<ApiKeyRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var keys = await QueryAsync($"SELECT {Columns} FROM fleet_api_keys WHERE id = @id", id, cancellationToken);
        return keys.Count == 0 ? null : keys[0];
    }

    /// <summary>Every key, newest first; there are few (people and systems, not devices).</summary>
    public Task<List<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM fleet_api_keys ORDER BY created_at DESC, id", null, cancellationToken);

    /// <summary>Marks the key revoked (once; a second revocation keeps the first). False when there is no such key.</summary>
    public Task<bool> RevokeAsync(string id, DateTimeOffset at, KeyActor by, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async (connection, transaction) =>
            {
                var command = connection.CreateCommand();
                await using (command)
                {
                    command.Transaction = transaction;
                    command.CommandText =
                        "UPDATE fleet_api_keys SET revoked_at = COALESCE(revoked_at, @at), " +
                        "revoked_by_id = COALESCE(revoked_by_id, @byId), revoked_by_name = COALESCE(revoked_by_name, @byName) " +
                        "WHERE id = @id";
                    FleetDatabase.AddParameter(command, "id", id);
                    FleetDatabase.AddParameter(command, "at", database.TimeValue(at));
                    FleetDatabase.AddParameter(command, "byId", by.Id);
                    FleetDatabase.AddParameter(command, "byName", by.Name);
                    return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
                }
            },
            cancellationToken);

    private async Task<List<ApiKeyRecord>> QueryAsync(string sql, string? id, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKeyRecord>();
        var connection = await database.OpenAsync(cancellationToken);
        await using (connection)
        {
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = sql;
                if (id is not null)
                {
                    FleetDatabase.AddParameter(command, "id", id);
                }

                var reader = await command.ExecuteReaderAsync(cancellationToken);
                await using (reader)
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        keys.Add(Read(reader));
                    }
                }
            }
        }

        return keys;
    }

    private ApiKeyRecord Read(DbDataReader reader) => new(
        Id: reader.GetString(0),
        KeyHash: reader.GetString(1),
        Name: reader.GetString(2),
        Role: reader.GetString(3),
        CreatedAt: database.ReadTime(reader, 4),
        CreatedBy: new KeyActor(reader.GetString(5), reader.GetString(6)),
        ExpiresAt: reader.IsDBNull(7) ? null : database.ReadTime(reader, 7),
        RevokedAt: reader.IsDBNull(8) ? null : database.ReadTime(reader, 8),
        RevokedBy: reader.IsDBNull(9) ? null : new KeyActor(reader.GetString(9), reader.GetString(10)));
}
