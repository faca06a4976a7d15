using Microsoft.Extensions.Options;

namespace Fleet.Silo.Audit;

/// <summary>Audit log settings (configuration section Fleet:Audit).</summary>
public sealed class AuditOptions
{
    public const string Section = "Fleet:Audit";

    /// <summary>Queued entries are written at most this long after the first of them arrived.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A batch is written as soon as it has this many entries.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Entries waiting to be written; when full, callers wait for room (nothing is dropped).</summary>
    public int QueueCapacity { get; set; } = 10_000;
}

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var errors = new List<string>();
        if (options.FlushInterval <= TimeSpan.Zero || options.FlushInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{AuditOptions.Section}:FlushInterval must be more than 0 and at most 00:01:00, not {options.FlushInterval:c}.");
        }

        if (options.BatchSize is < 1 or > 10_000)
        {
            errors.Add($"{AuditOptions.Section}:BatchSize must be between 1 and 10000, not {options.BatchSize}.");
        }

        if (options.QueueCapacity < options.BatchSize || options.QueueCapacity > 1_000_000)
        {
            errors.Add($"{AuditOptions.Section}:QueueCapacity must be between BatchSize ({options.BatchSize}) and 1000000, not {options.QueueCapacity}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
