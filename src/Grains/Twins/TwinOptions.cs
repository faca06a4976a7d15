using Microsoft.Extensions.Options;

namespace Fleet.Grains.Twins;

/// <summary>Settings of the twin engine (configuration section Fleet:Twins).</summary>
public sealed class TwinOptions
{
    public const string Section = "Fleet:Twins";

    /// <summary>
    /// Telemetry-only changes are written at most this long after they happen (and on
    /// deactivation); provisioning, desired and fault changes are written before the call returns.
    /// </summary>
    public TimeSpan TelemetryWriteDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many history points a twin keeps (96 = one day of 15-minute readings).</summary>
    public int HistoryLength { get; set; } = 96;

    /// <summary>A report time further than this in the future is rejected.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A bay occupied longer than this raises stuckOccupied.</summary>
    public TimeSpan StuckOccupiedAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>sensorBatteryLow is raised below this and cleared at or above <see cref="BatteryOkPercent"/>.</summary>
    public double BatteryLowPercent { get; set; } = 15;

    public double BatteryOkPercent { get; set; } = 20;

    /// <summary>lampFailure: a lit lamp drawing less than this share of rated × level, twice in a row.</summary>
    public double LampFailureRatio { get; set; } = 0.3;

    /// <summary>powerAnomaly: a lamp drawing more than this multiple of its rated power.</summary>
    public double PowerAnomalyRatio { get; set; } = 1.5;

    /// <summary>dayBurner: lit while the sun has been up at least this long and sets no sooner than this.</summary>
    public TimeSpan DayBurnerMargin { get; set; } = TimeSpan.FromMinutes(30);
}

internal sealed class TwinOptionsValidator : IValidateOptions<TwinOptions>
{
    public ValidateOptionsResult Validate(string? name, TwinOptions options)
    {
        var errors = new List<string>();
        if (options.TelemetryWriteDelay < TimeSpan.Zero || options.TelemetryWriteDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{TwinOptions.Section}:TelemetryWriteDelay must be between 0 and 10 minutes.");
        }

        if (options.HistoryLength is < 1 or > 1000)
        {
            errors.Add($"{TwinOptions.Section}:HistoryLength must be between 1 and 1000.");
        }

        if (options.MaxClockSkew < TimeSpan.Zero)
        {
            errors.Add($"{TwinOptions.Section}:MaxClockSkew must not be negative.");
        }

        if (options.StuckOccupiedAfter <= TimeSpan.Zero)
        {
            errors.Add($"{TwinOptions.Section}:StuckOccupiedAfter must be positive.");
        }

        if (options.BatteryLowPercent is < 0 or > 100 || options.BatteryOkPercent < options.BatteryLowPercent || options.BatteryOkPercent > 100)
        {
            errors.Add($"{TwinOptions.Section}:BatteryLowPercent and BatteryOkPercent must satisfy 0 <= low <= ok <= 100.");
        }

        if (options.LampFailureRatio is <= 0 or >= 1)
        {
            errors.Add($"{TwinOptions.Section}:LampFailureRatio must be between 0 and 1.");
        }

        if (options.PowerAnomalyRatio <= 1)
        {
            errors.Add($"{TwinOptions.Section}:PowerAnomalyRatio must be above 1.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
