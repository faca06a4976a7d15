using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Audit;

/// <summary>
/// The audit log's writer: entries wait in a bounded in-memory queue and are written in batches —
/// when a batch is full or Fleet:Audit:FlushInterval after its first entry — so a request never
/// waits for the disk (on SQLite a batch takes one turn of the write lane that grain storage
/// shares). What is queued at shutdown is written before the host stops; entries recorded after
/// that are written one by one.
/// </summary>
internal sealed partial class AuditWriter : BackgroundService, IAuditLog
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly AuditStore _store;
    private readonly AuditOptions _options;
    private readonly ILogger<AuditWriter> _logger;
    private readonly Channel<Item> _queue;

    // Owned by the writing loop while it runs, and by StopAsync after it ended.
    private readonly List<AuditEntry> _batch = [];
    private readonly List<TaskCompletionSource> _flushes = [];
    private volatile bool _stopped;

    public AuditWriter(AuditStore store, IOptions<AuditOptions> options, ILogger<AuditWriter> logger)
    {
        _store = store;
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public async ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var item = new Item(entry.Normalized(), null);
        if (_queue.Writer.TryWrite(item))
        {
            return;
        }

        if (!_stopped)
        {
            LogQueueFull(_options.QueueCapacity);
            try
            {
                await _queue.Writer.WriteAsync(item, cancellationToken);
                return;
            }
            catch (ChannelClosedException)
            {
                // Stopped while waiting for room: written directly below.
            }
        }

        await _store.AppendAsync([item.Entry!], CancellationToken.None);
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _queue.Writer.WriteAsync(new Item(null, flushed), cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return; // Stopped: everything queued has been written.
        }

        await flushed.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await CollectAsync(stoppingToken);
                await WriteBatchAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: StopAsync writes the batch in hand and whatever is still queued.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        _stopped = true;
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var item))
        {
            Take(item);
        }

        try
        {
            await _store.AppendAsync(_batch, cancellationToken);
            LogDrained(_batch.Count);
        }
        catch (Exception exception)
        {
            LogLostAtShutdown(exception, _batch.Count);
        }

        Done();
    }

    /// <summary>Takes entries until the batch is full, a flush is asked for, or the flush interval has passed.</summary>
    private async Task CollectAsync(CancellationToken stoppingToken)
    {
        using var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        window.CancelAfter(_options.FlushInterval);
        while (true)
        {
            while (_batch.Count < _options.BatchSize && _flushes.Count == 0 && _queue.Reader.TryRead(out var item))
            {
                Take(item);
            }

            if (_batch.Count >= _options.BatchSize || _flushes.Count > 0)
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
                return; // The window closed: write what there is.
            }
        }
    }

    /// <summary>
    /// Writes the batch, retrying with a growing pause while the store fails (entries keep queueing
    /// meanwhile, up to the queue's capacity). A write under way is not cancelled at shutdown, so no
    /// batch is both committed and written again.
    /// </summary>
    private async Task WriteBatchAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        while (true)
        {
            try
            {
                await _store.AppendAsync(_batch, CancellationToken.None);
                Done();
                return;
            }
            catch (Exception exception)
            {
                LogWriteFailed(exception, _batch.Count, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private void Take(Item item)
    {
        if (item.Entry is not null)
        {
            _batch.Add(item.Entry);
        }
        else
        {
            _flushes.Add(item.Flushed!);
        }
    }

    private void Done()
    {
        _batch.Clear();
        foreach (var flush in _flushes)
        {
            flush.TrySetResult();
        }

        _flushes.Clear();
    }

    /// <summary>An entry to write, or (Entry null) a request to say when everything before it is written.</summary>
    private sealed record Item(AuditEntry? Entry, TaskCompletionSource? Flushed);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "The audit queue is full ({Capacity} entries); requests wait until the store catches up")]
    private partial void LogQueueFull(int capacity);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "Writing {Count} audit entries failed; retrying in {Seconds:0.0} s")]
    private partial void LogWriteFailed(Exception exception, int count, double seconds);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Wrote {Count} queued audit entries at shutdown")]
    private partial void LogDrained(int count);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Critical, Message = "Lost {Count} audit entries at shutdown: the store refused them")]
    private partial void LogLostAtShutdown(Exception exception, int count);
}
