using Microsoft.Extensions.Options;

namespace Fleet.Silo.Events;

/// <summary>Live event settings (configuration section Fleet:Events); docs/events.md explains each.</summary>
public sealed class EventOptions
{
    public const string Section = "Fleet:Events";

    /// <summary>Each silo keeps at most this many recent events for resuming with Last-Event-ID …</summary>
    public int ResumeCapacity { get; set; } = 10_000;

    /// <summary>… and none older than this.</summary>
    public TimeSpan ResumeWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Events waiting for one SSE client; a client that falls this far behind is dropped.</summary>
    public int ClientBuffer { get; set; } = 1_000;

    /// <summary>SSE clients one silo serves at once; more are answered 429.</summary>
    public int MaxClients { get; set; } = 1_000;

    /// <summary>A comment line goes out this often on a quiet stream, so proxies and clients see it is alive.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Events waiting to go into the Orleans streams; beyond it new events are dropped (and counted).</summary>
    public int PublishQueueCapacity { get; set; } = 100_000;

    /// <summary>At most this many events go into one stream in one batch.</summary>
    public int PublishBatchSize { get; set; } = 500;

    /// <summary>Events wait at most this long before they go into the streams.</summary>
    public TimeSpan PublishInterval { get; set; } = TimeSpan.FromMilliseconds(20);
}

internal sealed class EventOptionsValidator : IValidateOptions<EventOptions>
{
    public ValidateOptionsResult Validate(string? name, EventOptions options)
    {
        var errors = new List<string>();
        void Range(string setting, int value, int min, int max)
        {
            if (value < min || value > max)
            {
                errors.Add($"{EventOptions.Section}:{setting} must be between {min} and {max}, not {value}.");
            }
        }

        void Positive(string setting, TimeSpan value, TimeSpan max)
        {
            if (value <= TimeSpan.Zero || value > max)
            {
                errors.Add($"{EventOptions.Section}:{setting} must be more than 0 and at most {max:c}, not {value:c}.");
            }
        }

        Range("ResumeCapacity", options.ResumeCapacity, 1, 1_000_000);
        Range("ClientBuffer", options.ClientBuffer, 1, 1_000_000);
        Range("MaxClients", options.MaxClients, 1, 100_000);
        Range("PublishQueueCapacity", options.PublishQueueCapacity, 1, 10_000_000);
        Range("PublishBatchSize", options.PublishBatchSize, 1, 100_000);
        Positive("ResumeWindow", options.ResumeWindow, TimeSpan.FromDays(1));
        Positive("Heartbeat", options.Heartbeat, TimeSpan.FromMinutes(10));
        Positive("PublishInterval", options.PublishInterval, TimeSpan.FromMinutes(1));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
