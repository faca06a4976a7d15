using System.Collections.Immutable;
using System.Threading.Channels;
using Fleet.Events;
using Fleet.Grains.Twins;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace Fleet.Silo.Events;

/// <summary>
/// Puts events into the Orleans event streams: twin changes (as an <see cref="ITwinObserver"/>, told
/// inside the twin's turn, so it only queues) and whatever else publishes (alarms, commands). A
/// background loop sends them in batches, one batch per stream (kind + borough). When the queue is
/// full new events are dropped and counted — the twins never wait for the live feed.
/// </summary>
internal sealed partial class FleetEventPublisher : BackgroundService, ITwinObserver
{
    private readonly Channel<FleetEvent> _queue;
    private readonly EventOptions _options;
    private readonly IClusterClient _client;
    private readonly ILogger<FleetEventPublisher> _logger;
    private long _dropped;

    public FleetEventPublisher(IOptions<EventOptions> options, IClusterClient client, ILogger<FleetEventPublisher> logger)
    {
        _options = options.Value;
        _client = client;
        _logger = logger;
        _queue = Channel.CreateBounded<FleetEvent>(new BoundedChannelOptions(_options.PublishQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Events dropped because the queue was full, since the silo started.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues an event for the streams; never waits.</summary>
    public void Publish(FleetEvent value)
    {
        if (!_queue.Writer.TryWrite(value) && Interlocked.Increment(ref _dropped) % 1000 == 1)
        {
            LogQueueFull(_options.PublishQueueCapacity, Dropped);
        }
    }

    public void OnTwinChanged(TwinChanged change)
    {
        var twin = change.Twin;
        var changed = Changed(change.What & ~(TwinChangeKinds.Connectivity | TwinChangeKinds.Command));
        if (changed.Length > 0)
        {
            Publish(new FleetEvent
            {
                Type = FleetEventTypes.TwinChanged,
                Kind = twin.Kind,
                DeviceId = twin.Id,
                Borough = twin.Metadata.Borough,
                At = change.At,
                Twin = twin,
                Changed = changed,
            });
        }

        if (change.What.HasFlag(TwinChangeKinds.Connectivity))
        {
            Publish(new FleetEvent
            {
                Type = FleetEventTypes.Connectivity,
                Kind = twin.Kind,
                DeviceId = twin.Id,
                Borough = twin.Metadata.Borough,
                At = change.At,
                Connectivity = twin.Connectivity,
            });
        }

        if (change.Command is { } command)
        {
            Publish(new FleetEvent
            {
                Type = FleetEventTypes.CommandChanged,
                Kind = twin.Kind,
                DeviceId = twin.Id,
                Borough = twin.Metadata.Borough,
                At = change.At,
                Command = command,
            });
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<FleetEvent>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await CollectAsync(batch, stoppingToken);
                await SendAsync(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: the live feed is best effort; what is queued now is not sent.
        }
    }

    private async Task CollectAsync(List<FleetEvent> batch, CancellationToken stoppingToken)
    {
        var limit = _options.PublishBatchSize * 8;
        using var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        window.CancelAfter(_options.PublishInterval);
        while (true)
        {
            while (batch.Count < limit && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count >= limit)
            {
                return;
            }

            try
            {
                if (!await _queue.Reader.WaitToReadAsync(window.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task SendAsync(List<FleetEvent> batch)
    {
        var provider = _client.GetStreamProvider(FleetEventStreams.ProviderName);
        var sends = batch
            .GroupBy(e => FleetEventStreams.Key(e.Kind, e.Borough), StringComparer.Ordinal)
            .SelectMany(group => group.Chunk(_options.PublishBatchSize).Select(chunk => SendOneAsync(provider, group.Key, chunk)));
        await Task.WhenAll(sends);
    }

    private async Task SendOneAsync(IStreamProvider provider, string key, FleetEvent[] events)
    {
        try
        {
            var stream = provider.GetStream<FleetEvent>(StreamId.Create(FleetEventStreams.Namespace, key));
            await stream.OnNextBatchAsync(events);
        }
        catch (Exception exception)
        {
            LogSendFailed(exception, events.Length, key);
        }
    }

    private static ImmutableArray<string> Changed(TwinChangeKinds what)
    {
        if (what == TwinChangeKinds.None)
        {
            return [];
        }

        var names = ImmutableArray.CreateBuilder<string>();
        foreach (var flag in Enum.GetValues<TwinChangeKinds>())
        {
            if (flag != TwinChangeKinds.None && what.HasFlag(flag))
            {
                names.Add(char.ToLowerInvariant(flag.ToString()[0]) + flag.ToString()[1..]);
            }
        }

        return names.ToImmutable();
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "The live event queue is full ({Capacity}); {Dropped} events dropped so far")]
    private partial void LogQueueFull(int capacity, long dropped);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Could not send {Count} events to stream {Stream}; they are lost to the live feed")]
    private partial void LogSendFailed(Exception exception, int count, string stream);
}
