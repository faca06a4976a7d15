using Fleet.Grains;
using Fleet.Grains.Jobs;
using Fleet.Jobs;
using Fleet.Silo.Api;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Jobs;

/// <summary>Bulk jobs: /api/jobs (docs/jobs.md).</summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs");

        group.MapPost("/", StartJob)
            .WithName("StartJob")
            .WithSummary("Starts a bulk job: a command or a desired patch for every selected device, at a bounded rate, with an abort rule.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(FleetPolicies.Operate)
            .Audited(AuditActions.JobStart, AuditTargets.Job);

        group.MapGet("/", ListJobs)
            .WithName("ListJobs")
            .WithSummary("Recent jobs with their progress, newest first.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapGet("/{id}", GetJob)
            .WithName("GetJob")
            .WithSummary("One job: state and progress (targeted = pending + queued + sent + succeeded + failed + rejected + expired + cancelled).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(FleetPolicies.Read);

        group.MapDelete("/{id}", CancelJob)
            .WithName("CancelJob")
            .WithSummary("Stops the rollout and cancels the job's still-queued commands.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(FleetPolicies.Operate)
            .Audited(AuditActions.JobCancel, AuditTargets.Job);

        return group;
    }

    public static async Task<Results<Accepted<JobView>, ProblemHttpResult>> StartJob(
        JobBody body, HttpContext http, IGrainFactory grains, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(body);
        var audit = http.Audit();
        audit.Detail = body.Describe();
        var actor = FleetActor.From(http.User);
        if (body.ToSpec(actor.Name, out var error) is not { } spec)
        {
            return Problems.BadRequest(error!);
        }

        var id = JobKeys.NewJobId(time.GetUtcNow());
        audit.TargetId = id;
        var outcome = await grains.GetGrain<IJobGrain>(id).Start(spec);
        return outcome.Job is { } job
            ? TypedResults.Accepted($"/api/jobs/{id}", job)
            : Problems.BadRequest(outcome.Error!);
    }

    public static async Task<Results<Ok<JobList>, ProblemHttpResult>> ListJobs(int? limit, IGrainFactory grains)
    {
        if (limit is < 1 or > JobDirectoryGrain.Keep)
        {
            return Problems.BadRequest($"limit must be between 1 and {JobDirectoryGrain.Keep}.");
        }

        var ids = await grains.GetGrain<IJobDirectoryGrain>(0).List(limit ?? 50);
        var jobs = await Task.WhenAll(ids.Select(id => grains.GetGrain<IJobGrain>(id).Get()));
        return TypedResults.Ok(new JobList([.. jobs.OfType<JobView>()]));
    }

    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetJob(string id, IGrainFactory grains) =>
        await grains.GetGrain<IJobGrain>(id).Get() is { } job
            ? TypedResults.Ok(job)
            : Problems.NotFound($"There is no job '{id}'.");

    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelJob(string id, HttpContext http, IGrainFactory grains)
    {
        var outcome = await grains.GetGrain<IJobGrain>(id).Cancel(FleetActor.From(http.User).Name);
        return outcome.Outcome switch
        {
            TwinOutcome.Ok => TypedResults.Ok(outcome.Job!),
            TwinOutcome.NotFound => Problems.NotFound(outcome.Error!),
            _ => Problems.Conflict(outcome.Error!),
        };
    }
}
