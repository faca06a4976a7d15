using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Jobs;
using Spectre.Console;

namespace Fleet.Client.Commands;

/// <summary>fleet job start|watch|get|cancel.</summary>
internal static class JobCommands
{
    public static Command Create(CliContext context)
    {
        var jobId = new Argument<string>("jobId") { Description = "the job's id (from job start)" };
        var user = new Option<string?>("--user") { Description = "who starts or cancels (default: your user name)" };
        var interval = new Option<string>("--interval") { Description = "how often job watch asks for progress", DefaultValueFactory = _ => "1s" };

        var kind = new Option<string>("--kind") { Description = "lamp, parking, wifi or meter", Required = true };
        var boroughs = new Option<string[]>("--borough") { Description = "devices in this borough (repeat for more)" };
        var ids = new Option<string[]>("--id") { Description = "exactly these devices (repeat for more)" };
        var fault = new Option<string?>("--fault") { Description = "only devices with this active fault" };
        var online = new Option<bool?>("--online") { Description = "only devices online (true) or offline (false) at the start" };
        var command = new Option<string?>("--command") { Description = "the command every target gets, e.g. dim" };
        var args = new Option<string[]>("--arg") { Description = "a command argument name=value, e.g. --arg level=40" };
        var ttl = new Option<int?>("--ttl") { Description = "seconds each command may wait for its result" };
        var desired = new Option<string[]>("--desired") { Description = "or: a desired field=value every target gets, e.g. --desired level=40" };
        var rate = new Option<int>("--rate") { Description = "devices started per second", DefaultValueFactory = _ => JobSpec.DefaultRate };
        var abortPercent = new Option<double?>("--abort-percent") { Description = "stop when more than this share of closed targets failed" };
        var name = new Option<string?>("--name") { Description = "a label for people, e.g. \"Rheinhausen to 60 % tonight\"" };
        var newId = new Option<string?>("--job-id") { Description = "the job's id (default: a new one); starting an existing id returns that job" };
        var watch = new Option<bool>("--watch") { Description = "follow the job with a progress bar until it ends" };
        var start = new Command("start", "Start a bulk job: a command or a desired change for every device the selector names.")
        {
            kind, boroughs, ids, fault, online, command, args, ttl, desired, rate, abortPercent, name, newId, watch, interval, user,
        };
        start.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var spec = Spec(
                result.GetValue(kind),
                result.GetValue(boroughs),
                result.GetValue(ids),
                result.GetValue(fault),
                result.GetValue(online),
                result.GetValue(command),
                result.GetValue(args),
                result.GetValue(ttl),
                result.GetValue(desired)) with
            {
                RatePerSecond = result.GetValue(rate),
                AbortFailurePercent = result.GetValue(abortPercent),
                Name = result.GetValue(name),
                RequestedBy = CliValues.User(result.GetValue(user)),
            };
            if (spec.Validate() is { } error)
            {
                return context.Fail(error);
            }

            var id = JobId(result.GetValue(newId));
            var outcome = await grains.GetGrain<IJobGrain>(id).Start(spec);
            if (outcome.Job is not { } job || outcome.Outcome != TwinOutcome.Ok)
            {
                return context.Fail(outcome.Error ?? $"The job could not be started ({outcome.Outcome}).");
            }

            if (result.GetValue(watch))
            {
                return await WatchAsync(context, grains.GetGrain<IJobGrain>(id), CliValues.Duration(result.GetValue(interval)!, "--interval"), cancellationToken);
            }

            context.Out.WriteLine(JsonSerializer.Serialize(job, context.Json));
            return 0;
        }, cancellationToken));

        var watchJob = new Command("watch", "Follow a job with a live progress bar until it ends.") { jobId, interval };
        watchJob.SetAction((result, cancellationToken) => context.RunAsync(
            grains => WatchAsync(context, grains.GetGrain<IJobGrain>(result.GetValue(jobId)!), CliValues.Duration(result.GetValue(interval)!, "--interval"), cancellationToken),
            cancellationToken));

        var get = new Command("get", "Show a job with its progress as JSON.") { jobId };
        get.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            if (await grains.GetGrain<IJobGrain>(result.GetValue(jobId)!).Get() is not { } job)
            {
                return context.Fail($"There is no job '{result.GetValue(jobId)}'.");
            }

            context.Out.WriteLine(JsonSerializer.Serialize(job, context.Json));
            return 0;
        }, cancellationToken));

        var cancel = new Command("cancel", "Stop a job: targets not started are left alone, queued commands are cancelled.") { jobId, user };
        cancel.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var outcome = await grains.GetGrain<IJobGrain>(result.GetValue(jobId)!).Cancel(CliValues.User(result.GetValue(user)));
            if (outcome.Outcome != TwinOutcome.Ok || outcome.Job is null)
            {
                return context.Fail(outcome.Error ?? $"There is no job '{result.GetValue(jobId)}'.");
            }

            context.Out.WriteLine(JsonSerializer.Serialize(outcome.Job, context.Json));
            return 0;
        }, cancellationToken));

        return new Command("job", "Start, follow and cancel bulk jobs.") { start, watchJob, get, cancel };
    }

    /// <summary>Job ids sit inside command ids ("job-" + id, at most 64 characters) and part keys (id + ":" + n).</summary>
    private const int MaxJobIdLength = 56;

    /// <summary>A new job id as the HTTP API makes them: time-ordered.</summary>
    internal static string NewJobId() => "j" + Guid.CreateVersion7().ToString("N");

    internal static string JobId(string? given) =>
        given is null ? NewJobId()
        : given.Length is > 0 and <= MaxJobIdLength && given.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? given
            : throw new CliException($"--job-id must be 1–{MaxJobIdLength} characters of A–Z, a–z, 0–9, '.', '_' or '-', not '{given}'.");

    /// <summary>The job's selector and action from the options; the rest of the spec is set by the caller.</summary>
    internal static JobSpec Spec(
        string? kind, string[]? boroughs, string[]? ids, string? fault, bool? online, string? command, string[]? args, int? ttl, string[]? desired)
    {
        if (!DeviceKinds.TryParse(kind, out var parsedKind))
        {
            throw new CliException($"--kind must be {DeviceKinds.Describe()}, not '{kind}'.");
        }

        if ((command is null) == (desired is not { Length: > 0 }))
        {
            throw new CliException("A job needs exactly one of --command (with --arg) and --desired.");
        }

        if (command is null && args is { Length: > 0 })
        {
            throw new CliException("--arg belongs to --command; a desired change is given with --desired field=value.");
        }

        return new JobSpec
        {
            Target = new JobTarget
            {
                Kind = parsedKind,
                Boroughs = [.. (boroughs ?? []).Select(each => Boroughs.TryNormalize(each, out var borough) ? borough : throw new CliException($"--borough must be {Boroughs.Describe()}, not '{each}'."))],
                Ids = [.. ids ?? []],
                Fault = fault,
                Online = online,
            },
            Command = command is null ? null : new CommandRequest
            {
                Name = command,
                Args = CliValues.Arguments(args),
                Ttl = ttl is { } seconds ? (seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new CliException("--ttl must be positive.")) : null,
            },
            Desired = command is null ? TwinCommands.ParseAssignments(desired!) : null,
        };
    }

    /// <summary>
    /// Follows the job until it ends: a live progress bar on a terminal; elsewhere (a pipe, a log) a
    /// plain line each time the counts change. Exit 0 when the job completed, 1 when it was aborted or cancelled.
    /// </summary>
    internal static async Task<int> WatchAsync(CliContext context, IJobGrain grain, TimeSpan interval, CancellationToken cancellationToken)
    {
        if (await grain.Get() is not { } job)
        {
            return context.Fail($"There is no job '{grain.GetPrimaryKeyString()}'.");
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Markup.Escape(job.Spec.Name ?? job.Id), maxValue: Math.Max(1, job.Progress.Targeted));
                    while (true)
                    {
                        task.MaxValue = Math.Max(1, job.Progress.Targeted);
                        task.Value = job.Progress.Closed;
                        task.Description = Markup.Escape($"{job.Spec.Name ?? job.Id}: {Counts(job.Progress)}");
                        if (job.State != JobState.Running)
                        {
                            task.StopTask();
                            return;
                        }

                        await Task.Delay(interval, cancellationToken);
                        job = await grain.Get() ?? job;
                    }
                });
        }
        else
        {
            string? printed = null;
            while (true)
            {
                var line = $"{Percent(job.Progress)} {Counts(job.Progress)}";
                if (line != printed)
                {
                    context.Out.WriteLine(line);
                    printed = line;
                }

                if (job.State != JobState.Running)
                {
                    break;
                }

                await Task.Delay(interval, cancellationToken);
                job = await grain.Get() ?? job;
            }
        }

        context.Out.WriteLine($"Job {job.Id} {job.State.ToString().ToLowerInvariant()}: {Counts(job.Progress)}{(job.Detail is null ? string.Empty : " — " + job.Detail)}");
        return job.State == JobState.Completed ? 0 : context.Fail($"job {job.Id} ended {job.State.ToString().ToLowerInvariant()}.");
    }

    private static string Percent(JobProgress progress) =>
        string.Create(CultureInfo.InvariantCulture, $"{(progress.Targeted == 0 ? 100 : 100.0 * progress.Closed / progress.Targeted),5:0.0} %");

    internal static string Counts(JobProgress progress) => string.Create(
        CultureInfo.InvariantCulture,
        $"{progress.Closed}/{progress.Targeted} closed, {progress.Succeeded} succeeded, {progress.Failed} failed, {progress.Rejected} rejected, {progress.Expired} expired, {progress.Cancelled} cancelled, {progress.Queued + progress.Sent} open, {progress.Pending} pending");
}
