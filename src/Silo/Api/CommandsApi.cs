using System.Collections.Immutable;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Api;

/// <summary>Device commands: /api/devices/{kind}/{id}/commands, and the catalogue they come from at /api/commands/catalogue (docs/commands.md).</summary>
public static class CommandsApi
{
    /// <summary>The longest <c>?wait=</c> (Fleet:Commands:MaxWait caps it again inside the twin).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(20);

    public static RouteGroupBuilder MapCommandsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/commands/catalogue", GetCatalogue)
            .WithTags("Commands")
            .WithName("GetCommandCatalogue")
            .WithSummary("The command catalogue: per device kind, each command's name, what it does, its arguments with their types and limits, and the roles that may send it.")
            .RequireAuthorization(FleetPolicies.Read);

        var group = routes.MapGroup("/api/devices/{kind}/{id}/commands").WithTags("Commands");

        group.MapPost("/", SendCommand)
            .WithName("SendCommand")
            .WithSummary("Queues a catalogue command; 202 with the command, or with ?wait=5s its result when it closes within the wait (200).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(FleetPolicies.Maintain)
            .Audited(AuditActions.CommandSend);

        group.MapGet("/", ListCommands)
            .WithName("ListCommands")
            .WithSummary("The device's command log: every open command and the most recent closed ones, newest first.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapGet("/{commandId}", GetCommand)
            .WithName("GetCommand")
            .WithSummary("One command with every transition; ?wait=5s holds the request until it closes or the wait runs out.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapDelete("/{commandId}", CancelCommand)
            .WithName("CancelCommand")
            .WithSummary("Cancels a command that has not been sent yet; 409 when it already was.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(FleetPolicies.Maintain)
            .Audited(AuditActions.CommandCancel);

        return group;
    }

    public static Ok<CatalogueView> GetCatalogue() => TypedResults.Ok(CatalogueView.Current);

    public static async Task<Results<Ok<DeviceCommand>, Accepted<DeviceCommand>, ProblemHttpResult>> SendCommand(
        string kind, string id, CommandBody body, string? wait, HttpContext http, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(body);
        http.Audit().Detail = body.Describe();
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        if (ParseWait(wait, out error) is not { } waitFor)
        {
            return Problems.BadRequest(error!);
        }

        var actor = FleetActor.From(http.User);
        if (body.ToRequest(actor.Name, out error) is not { } request)
        {
            return Problems.BadRequest(error!);
        }

        if (!http.User.Allows(FleetPolicies.ForCommand(request.Name)))
        {
            return Problems.Forbidden($"A {actor.Role} key may not send '{request.Name}'; it needs the operator role.");
        }

        var twin = grains.GetTwin(device.Kind, device.Id);
        var outcome = await twin.SubmitCommand(request);
        if (outcome.Command is not { } command)
        {
            return Failed(outcome);
        }

        http.Audit().Detail = $"{command.Id}: {body.Describe()}";
        if (waitFor > TimeSpan.Zero && !command.State.IsFinal())
        {
            command = await twin.WaitForCommand(command.Id, waitFor) ?? command;
        }

        return command.State.IsFinal() && waitFor > TimeSpan.Zero
            ? TypedResults.Ok(command)
            : TypedResults.Accepted(Location(command), command);
    }

    public static async Task<Results<Ok<CommandList>, ProblemHttpResult>> ListCommands(string kind, string id, IGrainFactory grains)
    {
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        var twin = grains.GetTwin(device.Kind, device.Id);
        if (await twin.GetTwin() is null)
        {
            return Problems.NotFound($"No {kind} '{id}' is provisioned.");
        }

        return TypedResults.Ok(new CommandList(await twin.GetCommands()));
    }

    public static async Task<Results<Ok<DeviceCommand>, ProblemHttpResult>> GetCommand(
        string kind, string id, string commandId, string? wait, IGrainFactory grains)
    {
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        if (ParseWait(wait, out error) is not { } waitFor)
        {
            return Problems.BadRequest(error!);
        }

        var twin = grains.GetTwin(device.Kind, device.Id);
        var command = waitFor > TimeSpan.Zero ? await twin.WaitForCommand(commandId, waitFor) : await twin.GetCommand(commandId);
        return command is null
            ? Problems.NotFound($"The {kind} '{id}' has no command '{commandId}'.")
            : TypedResults.Ok(command);
    }

    public static async Task<Results<Ok<DeviceCommand>, ProblemHttpResult>> CancelCommand(
        string kind, string id, string commandId, HttpContext http, IGrainFactory grains)
    {
        http.Audit().Detail = commandId;
        if (DeviceAddress.Parse(kind, id, out var error) is not { } device)
        {
            return Problems.BadRequest(error!);
        }

        var twin = grains.GetTwin(device.Kind, device.Id);
        if (await twin.GetCommand(commandId) is not { } command)
        {
            return Problems.NotFound($"The {kind} '{id}' has no command '{commandId}'.");
        }

        var actor = FleetActor.From(http.User);
        if (!http.User.Allows(FleetPolicies.ForCommand(command.Name)))
        {
            return Problems.Forbidden($"A {actor.Role} key may not cancel '{command.Name}'; it needs the operator role.");
        }

        var outcome = await twin.CancelCommand(commandId, actor.Name);
        return outcome.Outcome == TwinOutcome.Ok ? TypedResults.Ok(outcome.Command!) : Failed(outcome);
    }

    internal static string Location(DeviceCommand command) =>
        $"/api/devices/{command.Kind.ToWire()}/{Uri.EscapeDataString(command.DeviceId)}/commands/{command.Id}";

    internal static ProblemHttpResult Failed(CommandOutcome outcome) => outcome.Outcome switch
    {
        TwinOutcome.NotFound => Problems.NotFound(outcome.Error!),
        TwinOutcome.Conflict => Problems.Conflict(outcome.Error!),
        _ => Problems.BadRequest(outcome.Error!),
    };

    private static TimeSpan? ParseWait(string? wait, out string? error)
    {
        var parsed = CommandBody.ParseWait(wait);
        error = parsed is null ? $"'wait' must be a duration such as 5s or 500ms, not '{wait}'."
            : parsed > MaxWait ? $"'wait' may be at most {MaxWait.TotalSeconds:0}s."
            : null;
        return error is null ? parsed : null;
    }
}

/// <summary>GET …/commands: newest first.</summary>
public sealed record CommandList(ImmutableArray<DeviceCommand> Items);
