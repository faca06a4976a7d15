using System.ComponentModel;
using System.Globalization;
using Fleet.Devices;
using Fleet.Grains.Index;
using Fleet.Queries;
using Fleet.Silo.Api;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Index;

/// <summary>Fleet queries: GET /api/devices (the index), GET /api/boroughs (figures), and the index's own state and rebuild.</summary>
public static class FleetIndexApi
{
    public static IEndpointRouteBuilder MapFleetIndexApi(this IEndpointRouteBuilder routes)
    {
        var devices = routes.MapGroup("/api/devices").WithTags("Fleet queries");

        devices.MapGet("/", QueryDevices)
            .WithName("QueryDevices")
            .WithSummary("Devices from the fleet index, filtered, sorted and paged with an opaque cursor; follows the twins within 2 s.")
            .RequireAuthorization(FleetPolicies.Read);

        devices.MapGet("/index", GetIndexStatus)
            .WithName("GetIndexStatus")
            .WithSummary("The fleet index on this silo: writer queue, last write and its lag, the last rebuild.")
            .RequireAuthorization(FleetPolicies.Read);

        devices.MapPost("/index/rebuild", Rebuild)
            .WithName("RebuildIndex")
            .WithSummary("Rebuilds the fleet index from the stored twins in the background (202); the index keeps answering meanwhile.")
            .RequireAuthorization(FleetPolicies.Admin)
            .Audited(AuditActions.IndexRebuild, AuditTargets.Index);

        var boroughs = routes.MapGroup("/api/boroughs").WithTags("Fleet queries");

        boroughs.MapGet("/", GetBoroughs)
            .WithName("GetBoroughs")
            .WithSummary("Per borough and kind: devices, online, faults; parking free/occupied/closed/unknown; lamps lit, level, power; meter consumption.")
            .RequireAuthorization(FleetPolicies.Read);

        boroughs.MapGet("/{name}", GetBorough)
            .WithName("GetBorough")
            .WithSummary("One borough's figures (\"Sued\" for Süd; encode the slash of Meiderich/Beeck as %2F).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        return routes;
    }

    public static async Task<Results<Ok<DevicePage>, ValidationProblem>> QueryDevices(
        IFleetIndexReader index,
        [Description("lamp, parking, wifi or meter")] string? kind = null,
        [Description("a borough of Duisburg, e.g. Hamborn; Sued for Süd")] string? borough = null,
        [Description("true or false")] string? online = null,
        [Description("an active fault code, e.g. lampFailure")] string? fault = null,
        [Description("text in the id, street, zone or model (any case)")] string? q = null,
        [Description("minLon,minLat,maxLon,maxLat")] string? bbox = null,
        [Description("id (default), -lastSeen or borough")] string? sort = null,
        [Description("page size, 1 to 1000 (default 100)")] string? limit = null,
        [Description("the next of the previous page")] string? cursor = null,
        CancellationToken cancellationToken = default)
    {
        var query = new DeviceQuery { Text = q, Fault = fault, Borough = borough, Cursor = cursor };
        if (kind is not null)
        {
            if (!DeviceKinds.TryParse(kind, out var parsed))
            {
                return Invalid("kind", $"kind '{kind}' is not a device kind; it must be {DeviceKinds.Describe()}.");
            }

            query = query with { Kind = parsed };
        }

        if (online is not null)
        {
            if (!bool.TryParse(online, out var parsed))
            {
                return Invalid("online", $"online must be true or false, not '{online}'.");
            }

            query = query with { Online = parsed };
        }

        if (bbox is not null)
        {
            if (BoundingBox.Parse(bbox) is not { } area)
            {
                return Invalid("bbox", BoundingBox.Rule + $", not '{bbox}'.");
            }

            query = query with { Area = area };
        }

        if (sort is not null)
        {
            if (!DeviceSorts.TryParse(sort, out var parsed))
            {
                return Invalid("sort", $"sort must be {DeviceSorts.Describe()}, not '{sort}'.");
            }

            query = query with { Sort = parsed };
        }

        if (limit is not null)
        {
            if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return Invalid("limit", $"limit must be a whole number between 1 and {DeviceQuery.MaxLimit}, not '{limit}'.");
            }

            query = query with { Limit = parsed };
        }

        var result = await index.QueryDevicesAsync(query, cancellationToken);
        return result.Page is { } page ? TypedResults.Ok(page) : Invalid(result.Problem!.Parameter, result.Problem.Error);
    }

    public static async Task<Ok<FleetBoroughs>> GetBoroughs(IFleetIndexReader index, CancellationToken cancellationToken) =>
        TypedResults.Ok(await index.GetBoroughsAsync(cancellationToken));

    public static async Task<Results<Ok<BoroughSummary>, ProblemHttpResult>> GetBorough(
        [Description("a borough of Duisburg, any case, e.g. Mitte; Sued for Süd; Meiderich%2FBeeck")] string name,
        IFleetIndexReader index,
        CancellationToken cancellationToken)
    {
        // Kestrel leaves an encoded slash encoded in the path ("Meiderich%2FBeeck").
        var decoded = Uri.UnescapeDataString(name);
        return await index.GetBoroughAsync(decoded, cancellationToken) is { } summary
            ? TypedResults.Ok(summary)
            : Problems.NotFound($"'{decoded}' is not a borough of Duisburg; it is {Boroughs.Describe()}.");
    }

    internal static Ok<IndexStatus> GetIndexStatus(TwinIndexWriter writer, IndexRebuilder rebuilder) =>
        TypedResults.Ok(new IndexStatus(IndexEntry.Format, writer.Status(), rebuilder.Status));

    internal static Accepted<IndexStatus> Rebuild(TwinIndexWriter writer, IndexRebuilder rebuilder, HttpContext http)
    {
        var status = rebuilder.Start("requested through the API");
        http.Audit().Detail = $"rebuild started at {status.StartedAt:O} ({status.Reason})";
        return TypedResults.Accepted("/api/devices/index", new IndexStatus(IndexEntry.Format, writer.Status(), status));
    }

    private static ValidationProblem Invalid(string parameter, string error) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]>(StringComparer.Ordinal) { [parameter] = [error] },
            detail: error,
            title: $"The query parameter '{parameter}' is not valid.");
}

/// <summary>GET /api/devices/index: the projection format, this silo's writer, and its last (or running) rebuild.</summary>
public sealed record IndexStatus(int Format, IndexWriterStatus Writer, RebuildStatus? Rebuild);
