using Microsoft.Extensions.Options;

namespace Fleet.Grains.Commands;

/// <summary>Limits and timing of device commands (configuration section Fleet:Commands).</summary>
public sealed class CommandOptions
{
    public const string Section = "Fleet:Commands";

    /// <summary>How long a command may wait for its result when the request names no TTL.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest TTL a request may ask for.</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A sent command without a result after this long is sent again (or failed after <see cref="MaxAttempts"/>).</summary>
    public TimeSpan ResultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a command is handed to the device before it is failed for want of a result.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>At most this many open (queued or sent) commands per device; more are refused.</summary>
    public int MaxOpen { get; set; } = 50;

    /// <summary>How many closed commands a twin keeps in its log (newest first), beside the open ones.</summary>
    public int LogLength { get; set; } = 20;

    /// <summary>The longest <c>?wait=</c> a request may hold.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(20);
}

internal sealed class CommandOptionsValidator : IValidateOptions<CommandOptions>
{
    public ValidateOptionsResult Validate(string? name, CommandOptions options)
    {
        var errors = new List<string>();
        if (options.DefaultTtl <= TimeSpan.Zero || options.DefaultTtl > options.MaxTtl)
        {
            errors.Add($"{CommandOptions.Section}:DefaultTtl must be positive and at most MaxTtl.");
        }

        if (options.MaxTtl > TimeSpan.FromDays(30))
        {
            errors.Add($"{CommandOptions.Section}:MaxTtl must be at most 30 days.");
        }

        if (options.ResultTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{CommandOptions.Section}:ResultTimeout must be at least one second.");
        }

        if (options.MaxAttempts is < 1 or > 10)
        {
            errors.Add($"{CommandOptions.Section}:MaxAttempts must be between 1 and 10.");
        }

        if (options.MaxOpen is < 1 or > 1000 || options.LogLength is < 1 or > 1000)
        {
            errors.Add($"{CommandOptions.Section}:MaxOpen and LogLength must be between 1 and 1000.");
        }

        if (options.MaxWait <= TimeSpan.Zero || options.MaxWait > TimeSpan.FromSeconds(25))
        {
            errors.Add($"{CommandOptions.Section}:MaxWait must be positive and at most 25 seconds (Orleans' call timeout is 30 s).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
