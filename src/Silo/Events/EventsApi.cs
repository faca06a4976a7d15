using System.Buffers;
using System.Text;
using Fleet.Silo.Api;
using Fleet.Silo.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Events;

/// <summary>The live event feed as Server-Sent Events: GET /api/events.</summary>
public static partial class EventsApi
{
    public const string ContentType = "text/event-stream";

    private static readonly byte[] HeartbeatLine = Encoding.ASCII.GetBytes(": heartbeat\n\n");

    public static RouteHandlerBuilder MapEventsApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/events", GetEvents)
            .WithTags("Events")
            .WithName("GetEvents")
            .WithSummary("Live events as Server-Sent Events, filtered by kind, borough, device and type; resumable with Last-Event-ID.")
            .WithDescription(
                "A text/event-stream of `id:` (per-silo, monotonic), `event:` (the type) and `data:` (the event as JSON) records, " +
                "with a `: heartbeat` comment every 15 s. Send `Last-Event-ID` (or `?lastEventId=`) to resume: the events after it " +
                "that the silo still keeps (the last 10,000, at most 10 minutes) come first. When they are no longer kept, or the id is " +
                "from another silo, the stream starts with an `event: reset` record and continues live. A client that falls 1,000 " +
                "events behind is disconnected.")
            .Produces(StatusCodes.Status200OK, contentType: ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireAuthorization(FleetPolicies.Read);

    /// <param name="kind">Device kinds, comma-separated: lamp, parking, wifi, meter.</param>
    /// <param name="borough">Boroughs, comma-separated.</param>
    /// <param name="device">Device ids, comma-separated.</param>
    /// <param name="types">Event types, comma-separated: twinChanged, alarmOpened, alarmAcknowledged, alarmCleared, commandChanged, connectivity.</param>
    /// <param name="lastEventId">Resume after this event id (as the Last-Event-ID header, for clients that cannot set it).</param>
    internal static async Task<Results<EmptyHttpResult, ProblemHttpResult>> GetEvents(
        string? kind,
        string? borough,
        string? device,
        string? types,
        string? lastEventId,
        HttpContext http,
        EventHub hub,
        IOptions<EventOptions> options,
        ILoggerFactory loggers)
    {
        if (EventFilter.Parse(kind, borough, device, types, out var error) is not { } filter)
        {
            return Problems.BadRequest(error!);
        }

        var resumeFrom = http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : lastEventId;
        if (hub.Subscribe(filter, resumeFrom) is not { } subscription)
        {
            return TypedResults.Problem(
                $"This silo serves {options.Value.MaxClients} event streams already; try again later or another silo.",
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many event streams.");
        }

        var (subscriber, outcome, backlog) = subscription;
        var logger = loggers.CreateLogger(typeof(EventsApi).FullName!);
        using (subscriber)
        {
            // Close a dropped client's connection at once, wherever the handler is waiting (even
            // in a write that a client who stopped reading will never let finish).
            using var abortWhenDropped = subscriber.Dropped.Register(http.Abort);
            try
            {
                await StreamAsync(http, subscriber, outcome, resumeFrom, backlog, options.Value.Heartbeat);
            }
            catch (OperationCanceledException) when (subscriber.WasDropped)
            {
                // Fell behind: close the connection now rather than finish a write it is not reading.
                LogClientDropped(logger, http.Connection.Id);
                http.Abort();
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client went away.
            }
            finally
            {
                hub.Unsubscribe(subscriber);
            }
        }

        return TypedResults.Empty;
    }

    private static async Task StreamAsync(
        HttpContext http, EventSubscriber subscriber, ResumeOutcome outcome, string? resumeFrom, IReadOnlyList<StampedEvent> backlog, TimeSpan heartbeat)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, subscriber.Dropped);
        var cancellationToken = stop.Token;
        var response = http.Response;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        var body = response.BodyWriter;
        await body.WriteAsync(Encoding.UTF8.GetBytes("retry: 2000\n: fleet live events\n\n"), cancellationToken);
        if (outcome == ResumeOutcome.Gap)
        {
            var reason = $"{{\"type\":\"reset\",\"lastEventId\":{System.Text.Json.JsonSerializer.Serialize(resumeFrom)},\"reason\":\"The events after this id are no longer kept on this silo (or the id is from another silo); continuing with live events. Re-read the state you need from the API.\"}}";
            await body.WriteAsync(Encoding.UTF8.GetBytes("event: reset\ndata: " + reason + "\n\n"), cancellationToken);
        }

        foreach (var stamped in backlog)
        {
            Write(body, stamped);
        }

        await body.FlushAsync(cancellationToken);

        var reader = subscriber.Channel.Reader;
        while (true)
        {
            using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                quiet.CancelAfter(heartbeat);
                try
                {
                    if (!await reader.WaitToReadAsync(quiet.Token))
                    {
                        // Completed by the hub: dropped, or the silo is stopping.
                        if (subscriber.WasDropped)
                        {
                            throw new OperationCanceledException("The client fell behind and was dropped.");
                        }

                        cancellationToken.ThrowIfCancellationRequested();
                        return;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !subscriber.WasDropped)
                {
                    await body.WriteAsync(HeartbeatLine, cancellationToken);
                    continue;
                }
            }

            while (reader.TryRead(out var stamped))
            {
                Write(body, stamped);
            }

            await body.FlushAsync(cancellationToken);
        }
    }

    private static void Write(System.IO.Pipelines.PipeWriter body, StampedEvent stamped)
    {
        body.Write(Encoding.UTF8.GetBytes("id: " + stamped.Id + "\nevent: " + stamped.Value.Type + "\ndata: "));
        body.Write(stamped.Json);
        body.Write("\n\n"u8);
    }

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "Closed the event stream of connection {Connection}: it fell too far behind")]
    private static partial void LogClientDropped(ILogger logger, string connection);
}
