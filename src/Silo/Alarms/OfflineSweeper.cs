using System.Globalization;
using Fleet.Devices;
using Fleet.Grains.Twins;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Alarms;

/// <summary>
/// Every <see cref="AlarmOptions.SweepInterval"/>, each silo looks in fleet_alarm_devices for
/// devices offline longer than their kind's threshold and without an offline alarm yet — at most
/// <see cref="AlarmOptions.SweepBatch"/> per kind per sweep, oldest first — and hands them to the
/// alarm writer. Silos sweeping at once is harmless: the writer marks each device in the same
/// transaction as it opens the alarm, and only the first mark opens one.
/// </summary>
internal sealed partial class OfflineSweeper(
    AlarmStore store,
    AlarmWriter writer,
    IOptions<AlarmOptions> options,
    TwinClock clock,
    ILogger<OfflineSweeper> logger) : BackgroundService
{
    private readonly AlarmOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await store.Database.SchemaApplied.WaitAsync(stoppingToken);
            using var timer = new PeriodicTimer(_options.SweepInterval);
            do
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogSweepFailed(exception);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.UtcNow;
        foreach (var kind in DeviceKinds.All)
        {
            var threshold = _options.OfflineThreshold(kind);
            foreach (var device in await store.OverdueAsync(kind, now - threshold, _options.SweepBatch, cancellationToken))
            {
                var detail = string.Create(
                    CultureInfo.InvariantCulture,
                    $"Offline and not heard of since {device.LastSeen:u}, longer than the {Describe(threshold)} allowed for a {kind.ToWire()}.");
                if (!writer.Enqueue(new OfflineWork(device, detail)))
                {
                    return;
                }
            }
        }
    }

    private static string Describe(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0} h"
        : span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? $"{span.TotalMinutes:0} min"
        : $"{span.TotalSeconds:0.#} s";

    [LoggerMessage(EventId = 7201, Level = LogLevel.Warning, Message = "The offline sweep failed; it runs again at the next interval")]
    private partial void LogSweepFailed(Exception exception);
}
