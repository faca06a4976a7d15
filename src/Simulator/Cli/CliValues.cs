using System.Globalization;
using System.Text.RegularExpressions;

namespace Fleet.Simulator.Cli;

/// <summary>Parsers for the command line's value syntax: durations (250ms, 10s, 5m, 1h) and ranges (20ms-200ms).</summary>
public static partial class CliValues
{
    /// <summary>Parses <c>250ms</c>, <c>10s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>, <c>1h30m</c>, a bare number of seconds, or <c>hh:mm:ss</c>.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (trimmed.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        var matches = DurationPart().Matches(trimmed);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != trimmed)
        {
            throw new FormatException($"'{text}' is not a duration; use e.g. 250ms, 10s, 5m, 1h or 1h30m.");
        }

        var total = TimeSpan.Zero;
        foreach (Match match in matches)
        {
            var value = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            total += match.Groups["unit"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => TimeSpan.FromDays(value),
            };
        }

        return total;
    }

    /// <summary>Parses <c>min-max</c> durations, or one duration for both.</summary>
    public static (TimeSpan Min, TimeSpan Max) ParseDurationRange(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var min = ParseDuration(dash < 0 ? text : text[..dash]);
        var max = dash < 0 ? min : ParseDuration(text[(dash + 1)..]);
        return max >= min ? (min, max) : throw new FormatException($"'{text}': the range's maximum is below its minimum.");
    }

    public static string Format(TimeSpan span) => span switch
    {
        { TotalMilliseconds: < 1000 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0}ms"),
        { TotalSeconds: < 120 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#}s"),
        { TotalMinutes: < 120 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0.#}m"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0.#}h"),
    };

    [GeneratedRegex(@"(?<value>\d+(\.\d+)?)(?<unit>ms|s|m|h|d)")]
    private static partial Regex DurationPart();
}
