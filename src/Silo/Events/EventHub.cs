using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Events;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Events;

/// <summary>An event as this silo received it, with the id this silo gave it.</summary>
internal sealed class StampedEvent(long sequence, string id, FleetEvent value, DateTimeOffset receivedAt)
{
    private byte[]? _json;

    public long Sequence { get; } = sequence;

    /// <summary>"&lt;silo epoch&gt;-&lt;sequence&gt;": the SSE id, usable as Last-Event-ID on this silo.</summary>
    public string Id { get; } = id;

    public FleetEvent Value { get; } = value;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>The event as JSON, made once however many clients receive it.</summary>
    public byte[] Json => _json ??= JsonSerializer.SerializeToUtf8Bytes(Value, FleetJson.Options);
}

/// <summary>What a client resuming with Last-Event-ID gets.</summary>
internal enum ResumeOutcome
{
    /// <summary>No Last-Event-ID: live events only.</summary>
    Fresh,
    /// <summary>Everything after the id is still kept: the backlog holds it.</summary>
    Resumed,
    /// <summary>The id is from another silo or an earlier run, or older than the kept window: events were missed.</summary>
    Gap,
}

/// <summary>One SSE client's subscription to the hub.</summary>
internal sealed class EventSubscriber : IDisposable
{
    private readonly CancellationTokenSource _dropped = new();

    public EventSubscriber(EventFilter filter, int buffer)
    {
        Filter = filter;
        Channel = System.Threading.Channels.Channel.CreateBounded<StampedEvent>(new BoundedChannelOptions(buffer)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public EventFilter Filter { get; }

    private bool _wasDropped;

    public Channel<StampedEvent> Channel { get; }

    /// <summary>Cancelled when the hub drops the client for falling behind.</summary>
    public CancellationToken Dropped => _dropped.Token;

    /// <summary>
    /// Set before the channel completes, so a handler that sees the end of the channel knows at once
    /// that it was dropped (the <see cref="Dropped"/> token is cancelled later, off the hub's lock).
    /// </summary>
    public bool WasDropped => Volatile.Read(ref _wasDropped);

    /// <summary>Called under the hub's lock: never runs the handler's cancellation callbacks inline.</summary>
    internal void Drop()
    {
        Volatile.Write(ref _wasDropped, true);
        Channel.Writer.TryComplete();
        ThreadPool.UnsafeQueueUserWorkItem(
            static source =>
            {
                try
                {
                    source.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The client's stream ended meanwhile.
                }
            },
            _dropped,
            preferLocal: false);
    }

    public void Dispose() => _dropped.Dispose();
}

/// <summary>
/// The events this silo has received from the Orleans event streams, and the SSE clients it serves.
/// Each event gets a per-silo monotonic id; the last <see cref="EventOptions.ResumeCapacity"/> events
/// (and none older than <see cref="EventOptions.ResumeWindow"/>) are kept so a client can resume with
/// Last-Event-ID. Delivery never waits for a client: one whose buffer is full is dropped.
/// </summary>
internal sealed partial class EventHub
{
    private readonly Lock _gate = new();
    private readonly StampedEvent?[] _ring;
    private readonly EventOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EventHub> _logger;
    private EventSubscriber[] _subscribers = [];
    private int _head;
    private int _count;
    private long _sequence;
    private long _droppedClients;

    public EventHub(IOptions<EventOptions> options, TimeProvider time, ILogger<EventHub> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _ring = new StampedEvent?[_options.ResumeCapacity];

        // Distinct per run of the silo, so an id from an earlier run or another silo is recognised.
        Epoch = Convert.ToString(time.GetUtcNow().ToUnixTimeMilliseconds(), 16) + Convert.ToString(Random.Shared.Next(0x1000, 0xFFFF), 16);
    }

    public string Epoch { get; }

    public int Clients => Volatile.Read(ref _subscribers).Length;

    /// <summary>Clients dropped for falling behind since the silo started.</summary>
    public long DroppedClients => Interlocked.Read(ref _droppedClients);

    /// <summary>Events received since the silo started (the last id's sequence).</summary>
    public long Received => Interlocked.Read(ref _sequence);

    /// <summary>Stamps the event, keeps it for resuming and hands it to every client whose filter it matches.</summary>
    public void Deliver(FleetEvent value)
    {
        List<EventSubscriber>? dropped = null;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var sequence = ++_sequence;
            var stamped = new StampedEvent(sequence, Epoch + "-" + sequence.ToString(CultureInfo.InvariantCulture), value, now);
            Evict(now);
            if (_count == _ring.Length)
            {
                _ring[_head] = null;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }

            _ring[(_head + _count) % _ring.Length] = stamped;
            _count++;

            foreach (var subscriber in _subscribers)
            {
                if (subscriber.Filter.Matches(value) && !subscriber.Channel.Writer.TryWrite(stamped))
                {
                    (dropped ??= []).Add(subscriber);
                }
            }

            if (dropped is not null)
            {
                foreach (var subscriber in dropped)
                {
                    subscriber.Drop();
                }

                _subscribers = [.. _subscribers.Except(dropped)];
                _droppedClients += dropped.Count;
            }
        }

        if (dropped is not null)
        {
            LogDropped(dropped.Count, _options.ClientBuffer);
        }
    }

    /// <summary>
    /// Registers a client and returns what it missed since <paramref name="lastEventId"/> (matching
    /// its filter) — atomically, so no event is lost or repeated between backlog and live events.
    /// Null when the silo serves <see cref="EventOptions.MaxClients"/> already.
    /// </summary>
    public (EventSubscriber Subscriber, ResumeOutcome Outcome, IReadOnlyList<StampedEvent> Backlog)? Subscribe(EventFilter filter, string? lastEventId)
    {
        lock (_gate)
        {
            if (_subscribers.Length >= _options.MaxClients)
            {
                return null;
            }

            Evict(_time.GetUtcNow());
            var subscriber = new EventSubscriber(filter, _options.ClientBuffer);
            _subscribers = [.. _subscribers, subscriber];
            if (string.IsNullOrEmpty(lastEventId))
            {
                return (subscriber, ResumeOutcome.Fresh, []);
            }

            var oldest = _count == 0 ? _sequence + 1 : _ring[_head]!.Sequence;
            if (ParseId(lastEventId) is not { } last || last > _sequence || last < oldest - 1)
            {
                return (subscriber, ResumeOutcome.Gap, []);
            }

            var backlog = new List<StampedEvent>();
            for (var i = 0; i < _count; i++)
            {
                var stamped = _ring[(_head + i) % _ring.Length]!;
                if (stamped.Sequence > last && filter.Matches(stamped.Value))
                {
                    backlog.Add(stamped);
                }
            }

            return (subscriber, ResumeOutcome.Resumed, backlog);
        }
    }

    public void Unsubscribe(EventSubscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers.Where(s => s != subscriber)];
        }

        subscriber.Channel.Writer.TryComplete();
    }

    /// <summary>The sequence of an id this silo's current run gave out; null for any other.</summary>
    private long? ParseId(string id)
    {
        var separator = id.LastIndexOf('-');
        return separator > 0
            && id.AsSpan(0, separator).SequenceEqual(Epoch)
            && long.TryParse(id.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : null;
    }

    private void Evict(DateTimeOffset now)
    {
        var oldestKept = now - _options.ResumeWindow;
        while (_count > 0 && _ring[_head]!.ReceivedAt < oldestKept)
        {
            _ring[_head] = null;
            _head = (_head + 1) % _ring.Length;
            _count--;
        }
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Dropped {Count} SSE client(s) that fell {Buffer} events behind")]
    private partial void LogDropped(int count, int buffer);
}
