using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Fleet.Grains;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Fleet.Twins;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Fleet.Silo.Api;

/// <summary>Reading twins and changing what operations want: /api/devices/{kind}/{id}.</summary>
public static class DevicesApi
{
    public const int MaxPatchBytes = 64 * 1024;

    public static RouteGroupBuilder MapDevicesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/devices/{kind}/{id}").WithTags("Devices");

        group.MapGet("/", GetTwin)
            .WithName("GetTwin")
            .WithSummary("The device's twin: metadata, reported, desired, delta, connectivity and faults. ETag = version.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapGet("/history", GetHistory)
            .WithName("GetHistory")
            .WithSummary("The twin's bounded recent history (lamp power, meter consumption, AP clients, bay occupancy).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapPatch("/desired", PatchDesired)
            .WithName("PatchDesired")
            .WithSummary("Changes desired state with a JSON merge patch (RFC 7396); If-Match guards against lost updates.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .Accepts<JsonElement>("application/merge-patch+json", "application/json")
            .RequireAuthorization(FleetPolicies.Operate)
            .Audited(AuditActions.DeviceDesired);

        return group;
    }

    public static async Task<Results<Ok<TwinDocument>, ProblemHttpResult>> GetTwin(
        string kind, string id, IGrainFactory grains, HttpResponse response)
    {
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        var twin = await grains.GetTwin(device.Kind, device.Id).GetTwin();
        if (twin is null)
        {
            return Problems.NotFound($"No {kind} '{id}' is provisioned.");
        }

        SetETag(response, twin.Version);
        return TypedResults.Ok(twin);
    }

    public static async Task<Results<Ok<ImmutableArray<HistoryPoint>>, ProblemHttpResult>> GetHistory(
        string kind, string id, IGrainFactory grains)
    {
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        var grain = grains.GetTwin(device.Kind, device.Id);
        if (await grain.GetTwin() is null)
        {
            return Problems.NotFound($"No {kind} '{id}' is provisioned.");
        }

        return TypedResults.Ok(await grain.GetHistory());
    }

    public static async Task<Results<Ok<TwinDocument>, ProblemHttpResult>> PatchDesired(
        string kind, string id, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        if (!IsJson(request.ContentType))
        {
            return Problems.UnsupportedMediaType("Send the patch as application/merge-patch+json (or application/json).");
        }

        if (request.ContentLength > MaxPatchBytes)
        {
            return Problems.TooLarge($"A desired patch may be at most {MaxPatchBytes} bytes.");
        }

        long? expected = null;
        var ifMatch = request.Headers.IfMatch.ToString();
        if (ifMatch.Length > 0 && ifMatch != "*")
        {
            if (ParseETag(ifMatch) is not { } version)
            {
                return Problems.PreconditionFailed($"If-Match '{ifMatch}' does not name a version of this twin.");
            }

            expected = version;
        }

        var changes = await ReadMergePatchAsync(request.Body, cancellationToken);
        request.HttpContext.Audit().Detail = changes.Text;
        if (changes.Error is not null)
        {
            return changes.Error == TooLargeMarker
                ? Problems.TooLarge($"A desired patch may be at most {MaxPatchBytes} bytes.")
                : Problems.BadRequest(changes.Error);
        }

        var result = await grains.GetTwin(device.Kind, device.Id).MergeDesired(new DesiredPatch { Changes = changes.Value, ExpectedVersion = expected });
        switch (result.Outcome)
        {
            case TwinOutcome.Ok:
                SetETag(request.HttpContext.Response, result.Twin!.Version);
                return TypedResults.Ok(result.Twin);
            case TwinOutcome.NotFound:
                return Problems.NotFound(result.Error!);
            case TwinOutcome.VersionConflict:
                return Problems.PreconditionFailed(result.Error!);
            default:
                return Problems.BadRequest(result.Error!);
        }
    }

    internal static void SetETag(HttpResponse response, long version) =>
        response.Headers.ETag = new EntityTagHeaderValue($"\"{version.ToString(CultureInfo.InvariantCulture)}\"").ToString();

    internal static long? ParseETag(string header)
    {
        var text = header.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return long.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("application/merge-patch+json", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase));

    private const string TooLargeMarker = "\u0000too-large";

    /// <summary>The patch's fields, or an error; and the patch as sent (compact JSON) for the audit log.</summary>
    private static async Task<(ImmutableDictionary<string, TwinValue?> Value, string? Error, string? Text)> ReadMergePatchAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxPatchBytes)
            {
                return ([], TooLargeMarker, null);
            }

            buffer.Write(chunk, 0, read);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException exception)
        {
            return ([], "The body is not valid JSON: " + exception.Message, null);
        }

        using (document)
        {
            var text = JsonSerializer.Serialize(document.RootElement);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return ([], "A desired patch is a JSON object of field names and values.", text);
            }

            var changes = ImmutableDictionary.CreateBuilder<string, TwinValue?>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    changes[property.Name] = null;
                    continue;
                }

                if (TwinValue.FromJson(property.Value, out var error) is not { } value)
                {
                    return ([], $"'{property.Name}' {error}.", text);
                }

                changes[property.Name] = value;
            }

            return (changes.ToImmutable(), null, text);
        }
    }
}
