using Microsoft.Extensions.Options;

namespace Fleet.Silo.Index;

/// <summary>Settings of the fleet index (configuration section Fleet:Index).</summary>
public sealed class FleetIndexOptions
{
    public const string Section = "Fleet:Index";

    /// <summary>
    /// Twin changes are written at most this long after the first of a batch arrived. The index
    /// promises to follow the twins within 2 s, so this is kept well below.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Devices per write transaction; a batch is written early once this many devices changed.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How long reported meter consumption is kept for the hour and day figures.</summary>
    public TimeSpan ConsumptionRetention { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Rebuild from the stored twins at start when the index is empty or was built by an older format.</summary>
    public bool RebuildOnStart { get; set; } = true;

    /// <summary>Stored twins read (and index rows written) per step of a rebuild.</summary>
    public int RebuildPageSize { get; set; } = 1000;
}

internal sealed class FleetIndexOptionsValidator : IValidateOptions<FleetIndexOptions>
{
    public ValidateOptionsResult Validate(string? name, FleetIndexOptions options)
    {
        var errors = new List<string>();
        if (options.FlushInterval <= TimeSpan.Zero || options.FlushInterval > TimeSpan.FromSeconds(1))
        {
            errors.Add($"{FleetIndexOptions.Section}:FlushInterval must be more than 0 and at most 00:00:01 (the index lags the twins by at most 2 s), not {options.FlushInterval:c}.");
        }

        if (options.BatchSize is < 1 or > 10_000)
        {
            errors.Add($"{FleetIndexOptions.Section}:BatchSize must be between 1 and 10000, not {options.BatchSize}.");
        }

        if (options.ConsumptionRetention < TimeSpan.FromDays(1) || options.ConsumptionRetention > TimeSpan.FromDays(31))
        {
            errors.Add($"{FleetIndexOptions.Section}:ConsumptionRetention must be between 1.00:00:00 (the day figure needs a day) and 31.00:00:00, not {options.ConsumptionRetention:c}.");
        }

        if (options.RebuildPageSize is < 1 or > 10_000)
        {
            errors.Add($"{FleetIndexOptions.Section}:RebuildPageSize must be between 1 and 10000, not {options.RebuildPageSize}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
