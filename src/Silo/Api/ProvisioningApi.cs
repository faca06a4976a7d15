using Fleet.Devices;
using Fleet.Grains;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Fleet.Twins;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Api;

/// <summary>Registering, re-keying and retiring devices: /api/devices.</summary>
public static class ProvisioningApi
{
    public static RouteGroupBuilder MapProvisioningApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/devices").WithTags("Provisioning").RequireAuthorization(FleetPolicies.Admin);

        group.MapPost("/", Provision)
            .WithName("ProvisionDevice")
            .WithSummary("Registers a device and returns its secret — shown this once, only a hash is kept.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .Audited(AuditActions.DeviceProvision);

        group.MapPost("/{kind}/{id}/secret", RotateSecret)
            .WithName("RotateSecret")
            .WithSummary("Issues a new device secret; the old one stops working at once.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .Audited(AuditActions.DeviceRotateSecret);

        group.MapDelete("/{kind}/{id}", Decommission)
            .WithName("DecommissionDevice")
            .WithSummary("Takes the device out of service: its twin is removed and it can no longer connect.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .Audited(AuditActions.DeviceDecommission);

        group.MapPost("/import", CsvImport.ImportAsync)
            .WithName("ImportDevices")
            .WithSummary("Registers devices from CSV; each row succeeds or fails on its own, with a per-row report.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .Accepts<string>("text/csv")
            .Audited(AuditActions.DeviceImport);

        return group;
    }

    public static async Task<Results<Created<DeviceCredentials>, ProblemHttpResult>> Provision(
        ProvisionRequest request, IGrainFactory grains, HttpResponse response)
    {
        response.HttpContext.Audit().Target(request.Kind, request.Id).Detail = request.Metadata?.Borough is { } borough ? "borough " + borough : null;
        var result = await ProvisionAsync(grains, request);
        if (result.Credentials is not { } credentials)
        {
            return result.Problem!;
        }

        response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/devices/{request.Kind}/{request.Id}", credentials);
    }

    public static async Task<Results<Ok<DeviceCredentials>, ProblemHttpResult>> RotateSecret(
        string kind, string id, IGrainFactory grains, HttpResponse response)
    {
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        var result = await grains.GetTwin(device.Kind, device.Id).RotateSecret();
        if (result.Outcome != TwinOutcome.Ok)
        {
            return Problems.NotFound(result.Error!);
        }

        response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new DeviceCredentials(kind, id, result.Secret!, result.Twin!));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Decommission(string kind, string id, IGrainFactory grains)
    {
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        var result = await grains.GetTwin(device.Kind, device.Id).Decommission();
        return result.Outcome == TwinOutcome.Ok ? TypedResults.NoContent() : Problems.NotFound(result.Error!);
    }

    /// <summary>The one provisioning path, shared by the single and the CSV endpoints.</summary>
    internal static async Task<(DeviceCredentials? Credentials, ProblemHttpResult? Problem)> ProvisionAsync(IGrainFactory grains, ProvisionRequest request)
    {
        if (DeviceAddress.Parse(request.Kind, request.Id, out var error) is not { } device)
        {
            return (null, Problems.BadRequest(error!));
        }

        if (MetadataRules.Validate(device.Kind, request.Metadata, out error) is not { } metadata)
        {
            return (null, Problems.BadRequest(error!));
        }

        var result = await grains.GetTwin(device.Kind, device.Id).Provision(metadata);
        return result.Outcome switch
        {
            TwinOutcome.Ok => (new DeviceCredentials(request.Kind!, request.Id!, result.Secret!, result.Twin!), null),
            TwinOutcome.AlreadyExists => (null, Problems.Conflict(result.Error!)),
            _ => (null, Problems.BadRequest(result.Error!)),
        };
    }
}

/// <summary>POST /api/devices body.</summary>
public sealed record ProvisionRequest(string? Kind, string? Id, DeviceMetadata? Metadata);

/// <summary>A device's credentials, returned once when they are issued.</summary>
public sealed record DeviceCredentials(string Kind, string Id, string Secret, TwinDocument Twin);
