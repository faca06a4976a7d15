using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Grains;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Fleet.Silo.Ngsi;

/// <summary>
/// A read-only NGSI-LD view of the twins: GET /ngsi-ld/v1/entities and /ngsi-ld/v1/entities/{id}.
/// application/ld+json puts the @context in the body; application/json (the default) sends it in
/// a Link header, as NGSI-LD prescribes.
/// </summary>
public static class NgsiApi
{
    public const string LdJson = "application/ld+json";
    public const string Json = "application/json";
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>Listing walks the index past the offset, so the offset is bounded; use a type per request.</summary>
    public const int MaxOffset = 100_000;

    public const string ContextLink = "<" + NgsiMapper.SmartDataModelsContext + ">; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

    private const string ErrorBase = "https://uri.etsi.org/ngsi-ld/errors/";
    private const int ParallelReads = 16;

    public static RouteGroupBuilder MapNgsiApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/ngsi-ld/v1").WithTags("NGSI-LD");

        group.MapGet("/entities", ListEntities)
            .WithName("NgsiListEntities")
            .WithSummary("NGSI-LD entities of one type (Streetlight, ParkingSpot, AccessPoint, WaterConsumptionObserved, Device), paged by limit and offset.")
            .Produces<JsonArray>(StatusCodes.Status200OK, Json, LdJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapGet("/entities/{id}", GetEntity)
            .WithName("NgsiGetEntity")
            .WithSummary("One NGSI-LD entity by its URN, e.g. urn:ngsi-ld:Streetlight:DU-L-000001 or urn:ngsi-ld:Device:lamp:DU-L-000001.")
            .Produces<JsonObject>(StatusCodes.Status200OK, Json, LdJson)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .RequireAuthorization(FleetPolicies.Read);

        return group;
    }

    /// <param name="type">The entity type: Streetlight, ParkingSpot, AccessPoint, WaterConsumptionObserved or Device.</param>
    /// <param name="limit">Entities per page, 1–100 (default 20).</param>
    /// <param name="offset">Entities to skip, 0–100000 (default 0).</param>
    /// <param name="options">keyValues (or simplified) for the simplified representation.</param>
    /// <param name="count">true adds the NGSILD-Results-Count header.</param>
    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> ListEntities(
        string? type,
        string? limit,
        string? offset,
        string? options,
        string? count,
        HttpContext http,
        INgsiDirectory directory,
        IGrainFactory grains,
        CancellationToken cancellationToken)
    {
        if (Negotiate(http.Request) is not { } mediaType)
        {
            return NotAcceptable();
        }

        if (string.IsNullOrWhiteSpace(type))
        {
            return BadRequest("'type' is required: one of " + string.Join(", ", NgsiTypes.All) + ".");
        }

        if (!TryNumber(limit, DefaultLimit, 1, MaxLimit, out var pageSize))
        {
            return BadRequest($"'limit' must be a whole number from 1 to {MaxLimit}, not '{limit}'.");
        }

        if (!TryNumber(offset, 0, 0, MaxOffset, out var skip))
        {
            return BadRequest($"'offset' must be a whole number from 0 to {MaxOffset}, not '{offset}'.");
        }

        if (ParseOptions(options) is not { } keyValues)
        {
            return BadRequest($"'options' must be keyValues (or simplified), not '{options}'.");
        }

        if (!NgsiTypes.All.Contains(type, StringComparer.Ordinal))
        {
            // NGSI-LD: a type nobody has is not an error, just nothing.
            return Content(http, "[]", mediaType);
        }

        NgsiListing listing;
        try
        {
            listing = await directory.ListAsync(type, skip, pageSize, cancellationToken);
            if (count == "true")
            {
                http.Response.Headers["NGSILD-Results-Count"] = (await directory.CountAsync(type, cancellationToken)).ToString(CultureInfo.InvariantCulture);
            }
        }
        catch (NgsiDirectoryUnavailableException exception)
        {
            return TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Listing is not available.", type: ErrorBase + "InternalError");
        }

        var entities = new JsonObject?[listing.Devices.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, listing.Devices.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, _) =>
            {
                var (kind, id) = listing.Devices[i];
                if (await grains.GetTwin(kind, id).GetTwin() is { } twin)
                {
                    entities[i] = NgsiMapper.ToEntity(twin, type, keyValues);
                }
            });

        var array = new JsonArray();
        foreach (var entity in entities.OfType<JsonObject>())
        {
            AddContext(entity, mediaType);
            array.Add(entity);
        }

        if (listing.More)
        {
            var next = QueryString.Create([
                new("type", type),
                new("limit", pageSize.ToString(CultureInfo.InvariantCulture)),
                new("offset", (skip + pageSize).ToString(CultureInfo.InvariantCulture)),
                .. keyValues ? [new KeyValuePair<string, string?>("options", "keyValues")] : Array.Empty<KeyValuePair<string, string?>>(),
            ]);
            http.Response.Headers.Append(HeaderNames.Link, $"<{http.Request.PathBase}{http.Request.Path}{next}>; rel=\"next\"");
        }

        return Content(http, array.ToJsonString(), mediaType);
    }

    /// <param name="id">The entity's URN.</param>
    /// <param name="options">keyValues (or simplified) for the simplified representation.</param>
    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetEntity(
        string id, string? options, HttpContext http, IGrainFactory grains)
    {
        if (Negotiate(http.Request) is not { } mediaType)
        {
            return NotAcceptable();
        }

        if (ParseOptions(options) is not { } keyValues)
        {
            return BadRequest($"'options' must be keyValues (or simplified), not '{options}'.");
        }

        if (NgsiEntityRef.Parse(id) is not { } entityRef)
        {
            return BadRequest(
                $"'{id}' is not an entity id of this view; ids are urn:ngsi-ld:<type>:<device id> for " +
                "Streetlight, ParkingSpot, AccessPoint and WaterConsumptionObserved, and urn:ngsi-ld:Device:<kind>:<device id>.");
        }

        var twin = await grains.GetTwin(entityRef.Kind, entityRef.DeviceId).GetTwin();
        if (twin is null || NgsiMapper.ToEntity(twin, entityRef.Type, keyValues) is not { } entity)
        {
            return TypedResults.Problem($"There is no entity {id}.", statusCode: StatusCodes.Status404NotFound, title: "Not found.", type: ErrorBase + "ResourceNotFound");
        }

        AddContext(entity, mediaType);
        return Content(http, entity.ToJsonString(), mediaType);
    }

    /// <summary>application/ld+json when the client asks for it first, application/json when it accepts that (or anything); null otherwise.</summary>
    internal static string? Negotiate(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept is null || accept.Count == 0)
        {
            return Json;
        }

        foreach (var media in accept.Where(m => m.Quality is not 0).OrderByDescending(m => m.Quality ?? 1))
        {
            var value = media.MediaType.Value;
            if (string.Equals(value, LdJson, StringComparison.OrdinalIgnoreCase))
            {
                return LdJson;
            }

            if (string.Equals(value, Json, StringComparison.OrdinalIgnoreCase) || value is "*/*" or "application/*")
            {
                return Json;
            }
        }

        return null;
    }

    private static void AddContext(JsonObject entity, string mediaType)
    {
        if (mediaType == LdJson)
        {
            entity["@context"] = new JsonArray(NgsiMapper.SmartDataModelsContext, NgsiMapper.CoreContext);
        }
    }

    private static ContentHttpResult Content(HttpContext http, string json, string mediaType)
    {
        if (mediaType == Json)
        {
            http.Response.Headers.Append(HeaderNames.Link, ContextLink);
        }

        return TypedResults.Text(json, mediaType);
    }

    private static bool? ParseOptions(string? options) => options switch
    {
        null or "" or "normalized" => false,
        "keyValues" or "simplified" => true,
        _ => null,
    };

    private static bool TryNumber(string? text, int fallback, int min, int max, out int value)
    {
        value = fallback;
        return text is null || (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max);
    }

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid.", type: ErrorBase + "BadRequestData");

    private static ProblemHttpResult NotAcceptable() =>
        TypedResults.Problem(
            $"This view answers {Json} or {LdJson}.", statusCode: StatusCodes.Status406NotAcceptable, title: "Not acceptable.", type: ErrorBase + "NotAcceptable");

    internal static JsonSerializerOptions Options => FleetJson.Options;
}

public static class NgsiExtensions
{
    /// <summary>The NGSI-LD read view; listing uses the fleet index (AddFleetIndex).</summary>
    public static IServiceCollection AddFleetNgsi(this IServiceCollection services)
    {
        services.AddSingleton<INgsiDirectory, IndexNgsiDirectory>();
        return services;
    }

    public static WebApplication MapFleetNgsiApi(this WebApplication app)
    {
        app.MapNgsiApi();
        return app;
    }
}
