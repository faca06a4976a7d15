using Microsoft.Extensions.Options;

namespace Fleet.Silo.Schedules;

/// <summary>Schedule settings (configuration section Fleet:Schedules).</summary>
public sealed class ScheduleOptions
{
    public const string Section = "Fleet:Schedules";

    /// <summary>How often each silo wakes every schedule (a step missed by its timer starts at the latest then).</summary>
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromMinutes(1);
}

internal sealed class ScheduleOptionsValidator : IValidateOptions<ScheduleOptions>
{
    public ValidateOptionsResult Validate(string? name, ScheduleOptions options) =>
        options.WakeInterval < TimeSpan.FromSeconds(1) || options.WakeInterval > TimeSpan.FromHours(1)
            ? ValidateOptionsResult.Fail($"{ScheduleOptions.Section}:WakeInterval must be between 00:00:01 and 01:00:00, not {options.WakeInterval}.")
            : ValidateOptionsResult.Success;
}
