using System.Collections.Immutable;
using Fleet.Schedules;
using Fleet.Silo.Api;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Schedules;

/// <summary>GET /api/schedules: every schedule, by id.</summary>
public sealed record ScheduleList(ImmutableArray<ScheduleView> Items);

/// <summary>Lighting schedules: /api/schedules (docs/schedules.md).</summary>
public static class SchedulesApi
{
    private const int ListParallelism = 16;

    public static RouteGroupBuilder MapSchedulesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/schedules").WithTags("Schedules");

        group.MapGet("/", ListSchedules)
            .WithName("ListSchedules")
            .WithSummary("Every lighting schedule with its next step's time and level.")
            .RequireAuthorization(FleetPolicies.Read);

        group.MapGet("/{id}", GetSchedule)
            .WithName("GetSchedule")
            .WithSummary("One lighting schedule with its next step (computed for Duisburg) and the job its last step started.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapPut("/{id}", SetSchedule)
            .WithName("SetSchedule")
            .WithSummary("Creates (201) or replaces (200) a lighting schedule for a borough's lamps or a group of lamps; it takes effect from its next step.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(FleetPolicies.Operate)
            .Audited(AuditActions.ScheduleSet, AuditTargets.Schedule);

        group.MapDelete("/{id}", DeleteSchedule)
            .WithName("DeleteSchedule")
            .WithSummary("Removes a lighting schedule; jobs it already started run on.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Operate)
            .Audited(AuditActions.ScheduleDelete, AuditTargets.Schedule);

        return group;
    }

    public static async Task<Ok<ScheduleList>> ListSchedules(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var ids = await grains.GetGrain<IScheduleDirectoryGrain>(0).List();
        var views = new ScheduleView?[ids.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Length),
            new ParallelOptions { MaxDegreeOfParallelism = ListParallelism, CancellationToken = cancellationToken },
            async (index, _) => views[index] = await grains.GetGrain<IScheduleGrain>(ids[index]).Get());
        return TypedResults.Ok(new ScheduleList([.. views.OfType<ScheduleView>()]));
    }

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> GetSchedule(string id, IGrainFactory grains)
    {
        if (ScheduleSpec.ValidateId(id) is { } error)
        {
            return Problems.BadRequest(error);
        }

        return await grains.GetGrain<IScheduleGrain>(id).Get() is { } view
            ? TypedResults.Ok(view)
            : Problems.NotFound($"There is no schedule '{id}'.");
    }

    public static async Task<Results<Ok<ScheduleView>, Created<ScheduleView>, ValidationProblem>> SetSchedule(
        string id, ScheduleBody body, HttpContext http, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(body);
        http.Audit().Detail = body.Describe();
        if (ScheduleSpec.ValidateId(id) is { } idError)
        {
            return Invalid(new ScheduleError("id", idError));
        }

        if (body.ToSpec(out var error) is not { } spec)
        {
            return Invalid(error!);
        }

        var outcome = await grains.GetGrain<IScheduleGrain>(id).Set(spec, FleetActor.From(http.User).Name);
        if (outcome.Schedule is not { } schedule)
        {
            return Invalid(outcome.Error!);
        }

        return outcome.Created
            ? TypedResults.Created($"/api/schedules/{Uri.EscapeDataString(id)}", schedule)
            : TypedResults.Ok(schedule);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSchedule(string id, HttpContext http, IGrainFactory grains)
    {
        if (ScheduleSpec.ValidateId(id) is { } error)
        {
            return Problems.BadRequest(error);
        }

        return await grains.GetGrain<IScheduleGrain>(id).Delete(FleetActor.From(http.User).Name)
            ? TypedResults.NoContent()
            : Problems.NotFound($"There is no schedule '{id}'.");
    }

    private static ValidationProblem Invalid(ScheduleError error) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [error.Field] = [error.Message] },
            detail: error.ToString(),
            title: "The schedule is not valid.");
}
