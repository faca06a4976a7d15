using Fleet.Devices;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Alarms;

/// <summary>Alarm settings (configuration section Fleet:Alarms); docs/alarms.md explains each.</summary>
public sealed class AlarmOptions
{
    public const string Section = "Fleet:Alarms";

    /// <summary>A fault raised again within this long after its alarm cleared reopens that alarm (count + 1).</summary>
    public TimeSpan HoldWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A device offline (and heard of before) longer than its kind's threshold gets an offline alarm.</summary>
    public OfflineThresholds OfflineAfter { get; set; } = new();

    /// <summary>How often each silo looks for devices past their offline threshold.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>At most this many offline alarms are opened per kind and sweep; the rest wait for the next.</summary>
    public int SweepBatch { get; set; } = 500;

    /// <summary>Twin changes wait at most this long before they are written as a batch.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A batch is written as soon as it has this many changes.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Changes waiting to be written; beyond it changes are dropped (and the reconcile repairs).</summary>
    public int QueueCapacity { get; set; } = 50_000;

    /// <summary>How long after the start the first reconcile runs (give the fleet index time to catch up).</summary>
    public TimeSpan ReconcileDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the reconcile runs again; zero runs it only once after the start.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan OfflineThreshold(DeviceKind kind) => kind switch
    {
        DeviceKind.Lamp => OfflineAfter.Lamp,
        DeviceKind.Parking => OfflineAfter.Parking,
        DeviceKind.Wifi => OfflineAfter.Wifi,
        _ => OfflineAfter.Meter,
    };
}

/// <summary>Per kind: how long a device may be offline before it is an alarm.</summary>
public sealed class OfflineThresholds
{
    public TimeSpan Lamp { get; set; } = TimeSpan.FromMinutes(30);
    public TimeSpan Parking { get; set; } = TimeSpan.FromHours(2);
    public TimeSpan Wifi { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Meters may sleep between daily reports, so a day and a bit.</summary>
    public TimeSpan Meter { get; set; } = TimeSpan.FromHours(26);
}

internal sealed class AlarmOptionsValidator : IValidateOptions<AlarmOptions>
{
    public ValidateOptionsResult Validate(string? name, AlarmOptions options)
    {
        var errors = new List<string>();
        void Positive(string setting, TimeSpan value, TimeSpan max)
        {
            if (value <= TimeSpan.Zero || value > max)
            {
                errors.Add($"{AlarmOptions.Section}:{setting} must be more than 0 and at most {max:c}, not {value:c}.");
            }
        }

        if (options.HoldWindow < TimeSpan.Zero || options.HoldWindow > TimeSpan.FromDays(1))
        {
            errors.Add($"{AlarmOptions.Section}:HoldWindow must be between 00:00:00 and 1.00:00:00, not {options.HoldWindow:c}.");
        }

        Positive("OfflineAfter:Lamp", options.OfflineAfter.Lamp, TimeSpan.FromDays(30));
        Positive("OfflineAfter:Parking", options.OfflineAfter.Parking, TimeSpan.FromDays(30));
        Positive("OfflineAfter:Wifi", options.OfflineAfter.Wifi, TimeSpan.FromDays(30));
        Positive("OfflineAfter:Meter", options.OfflineAfter.Meter, TimeSpan.FromDays(30));
        Positive("SweepInterval", options.SweepInterval, TimeSpan.FromHours(1));
        Positive("FlushInterval", options.FlushInterval, TimeSpan.FromMinutes(1));
        Positive("ReconcileDelay", options.ReconcileDelay, TimeSpan.FromHours(1));
        if (options.ReconcileInterval < TimeSpan.Zero)
        {
            errors.Add($"{AlarmOptions.Section}:ReconcileInterval must not be negative.");
        }

        if (options.SweepBatch is < 1 or > 100_000)
        {
            errors.Add($"{AlarmOptions.Section}:SweepBatch must be between 1 and 100000, not {options.SweepBatch}.");
        }

        if (options.BatchSize is < 1 or > 10_000)
        {
            errors.Add($"{AlarmOptions.Section}:BatchSize must be between 1 and 10000, not {options.BatchSize}.");
        }

        if (options.QueueCapacity < options.BatchSize || options.QueueCapacity > 10_000_000)
        {
            errors.Add($"{AlarmOptions.Section}:QueueCapacity must be between BatchSize ({options.BatchSize}) and 10000000, not {options.QueueCapacity}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
