using Fleet.Silo.Api;
using Fleet.Silo.Audit;
using Fleet.Silo.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Auth;

/// <summary>Managing API keys (admin): /api/keys.</summary>
public static partial class KeysApi
{
    public const int MaxNameLength = 100;

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/keys").WithTags("Keys").RequireAuthorization(FleetPolicies.Admin);

        group.MapPost("/", CreateKey)
            .WithName("CreateKey")
            .WithSummary("Creates an API key with a name and a role; the key is shown this once, only its hash is kept.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .Audited(AuditActions.KeyCreate, AuditTargets.Key);

        group.MapGet("/", ListKeys)
            .WithName("ListKeys")
            .WithSummary("Every API key with its role, creator, expiry and revocation — never the key itself.");

        group.MapGet("/{id}", GetKey)
            .WithName("GetKey")
            .WithSummary("One API key's record.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{id}", RevokeKey)
            .WithName("RevokeKey")
            .WithSummary("Revokes an API key: at once on this silo, within Fleet:Auth:KeyCacheTtl on the others.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .Audited(AuditActions.KeyRevoke, AuditTargets.Key);

        return group;
    }

    internal static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> CreateKey(
        CreateKeyRequest request,
        HttpContext http,
        ApiKeyStore store,
        ApiKeyValidator validator,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var now = Now(time);
        if (Validate(request, now) is { } problem)
        {
            return Problems.BadRequest(problem);
        }

        var key = ApiKeySecret.Generate();
        var hash = ApiKeySecret.Hash(key);
        var creator = KeyActor.Of(FleetActor.From(http.User));
        var record = new ApiKeyRecord(
            ApiKeySecret.IdOf(hash),
            Convert.ToHexStringLower(hash),
            request.Name!.Trim(),
            request.Role!,
            now,
            creator,
            request.ExpiresAt is { } expires ? FleetDatabase.ToMicroseconds(expires) : null);
        await store.CreateAsync(record, cancellationToken);
        validator.Forget(record.Id);

        http.Audit().Target(AuditTargets.Key, record.Id).Detail =
            $"name '{record.Name}', role {record.Role}" + (record.ExpiresAt is { } at ? $", expires {at:O}" : string.Empty);
        var logger = loggers.CreateLogger(typeof(KeysApi));
        LogCreated(logger, record.Id, record.Name, record.Role, creator.Name);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/keys/{record.Id}", new CreatedApiKey(key, ApiKeyView.Of(record, now)));
    }

    internal static async Task<Ok<List<ApiKeyView>>> ListKeys(
        ApiKeyStore store, BootstrapAdminKey bootstrap, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = (await store.ListAsync(cancellationToken)).Select(record => ApiKeyView.Of(record, now)).ToList();
        keys.Insert(0, ApiKeyView.OfBootstrap(bootstrap));
        return TypedResults.Ok(keys);
    }

    internal static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> GetKey(
        string id, ApiKeyStore store, BootstrapAdminKey bootstrap, TimeProvider time, CancellationToken cancellationToken)
    {
        if (id == bootstrap.Id)
        {
            return TypedResults.Ok(ApiKeyView.OfBootstrap(bootstrap));
        }

        return await store.FindAsync(id, cancellationToken) is { } record
            ? TypedResults.Ok(ApiKeyView.Of(record, time.GetUtcNow()))
            : Problems.NotFound($"There is no API key '{id}'.");
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(
        string id,
        HttpContext http,
        ApiKeyStore store,
        ApiKeyValidator validator,
        BootstrapAdminKey bootstrap,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (id == bootstrap.Id)
        {
            return Problems.Conflict(
                "The bootstrap admin key lives in Fleet:Auth:BootstrapAdminKey or its key file, not in the key table: " +
                "change the setting (or delete the file to have a new key generated) and restart.");
        }

        var revoker = FleetActor.From(http.User);
        var existing = await store.FindAsync(id, cancellationToken);
        if (existing is null || !await store.RevokeAsync(id, Now(time), KeyActor.Of(revoker), cancellationToken))
        {
            return Problems.NotFound($"There is no API key '{id}'.");
        }

        validator.Forget(id);
        http.Audit().Detail = existing.RevokedAt is null ? $"name '{existing.Name}', role {existing.Role}" : "already revoked";
        var logger = loggers.CreateLogger(typeof(KeysApi));
        LogRevoked(logger, id, existing.Name, revoker.Name);
        return TypedResults.NoContent();
    }

    private static string? Validate(CreateKeyRequest request, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return "'name' is required: say who or what holds the key (e.g. 'ops-desk' or 'traffic-centre').";
        }

        if (request.Name.Trim().Length > MaxNameLength || request.Name.Any(char.IsControl))
        {
            return $"'name' must be at most {MaxNameLength} characters without control characters.";
        }

        if (!FleetRoles.IsKnown(request.Role))
        {
            return $"'role' must be one of {string.Join(", ", FleetRoles.All)}" + (request.Role is null ? "." : $", not '{request.Role}'.");
        }

        return request.ExpiresAt is { } expires && expires <= now
            ? $"'expiresAt' must lie in the future; {expires:O} has passed."
            : null;
    }

    /// <summary>Now, to the microsecond the key table keeps.</summary>
    private static DateTimeOffset Now(TimeProvider time) => FleetDatabase.ToMicroseconds(time.GetUtcNow());

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "API key {KeyId} '{Name}' ({Role}) created by {Creator}")]
    private static partial void LogCreated(ILogger logger, string keyId, string name, string role, string creator);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Information, Message = "API key {KeyId} '{Name}' revoked by {Revoker}")]
    private static partial void LogRevoked(ILogger logger, string keyId, string name, string revoker);
}

/// <summary>POST /api/keys body.</summary>
public sealed record CreateKeyRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt);

/// <summary>The answer to POST /api/keys: the key, shown this once, and its record.</summary>
public sealed record CreatedApiKey(string Key, ApiKeyView Record);

/// <summary>An API key as GET /api/keys shows it. <c>status</c> is active, expired or revoked.</summary>
public sealed record ApiKeyView(
    string Id,
    string Name,
    string Role,
    string Status,
    bool Bootstrap,
    DateTimeOffset? CreatedAt,
    KeyActor? CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    KeyActor? RevokedBy)
{
    internal static ApiKeyView Of(ApiKeyRecord record, DateTimeOffset now) => new(
        record.Id,
        record.Name,
        record.Role,
        record.RevokedAt is not null ? "revoked" : record.IsExpired(now) ? "expired" : "active",
        Bootstrap: false,
        record.CreatedAt,
        record.CreatedBy,
        record.ExpiresAt,
        record.RevokedAt,
        record.RevokedBy);

    /// <summary>The bootstrap key has no row: it comes from configuration or its file.</summary>
    internal static ApiKeyView OfBootstrap(BootstrapAdminKey key) =>
        new(key.Id, BootstrapAdminKey.Name, FleetRoles.Admin, "active", Bootstrap: true, null, key.Origin, null, null, null);
}
