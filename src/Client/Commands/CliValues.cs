using System.Collections.Immutable;
using System.Globalization;
using Fleet.Twins;

namespace Fleet.Client.Commands;

/// <summary>Values the commands read from their options, with messages that name the option.</summary>
internal static class CliValues
{
    /// <summary>Reads <c>5s</c>, <c>500ms</c>, <c>2m</c> or plain seconds.</summary>
    public static TimeSpan Duration(string text, string option)
    {
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], TimeSpan.FromMilliseconds(1))
            : text.EndsWith('s') ? (text[..^1], TimeSpan.FromSeconds(1))
            : text.EndsWith('m') ? (text[..^1], TimeSpan.FromMinutes(1))
            : (text, TimeSpan.FromSeconds(1));
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? unit * value
            : throw new CliException($"{option} must be a duration such as 5s, 500ms or 2m, not '{text}'.");
    }

    /// <summary>Command arguments: name=value pairs as <c>twin desire</c> reads them, none of them null.</summary>
    public static ImmutableDictionary<string, TwinValue> Arguments(IEnumerable<string>? assignments)
    {
        var parsed = TwinCommands.ParseAssignments(assignments ?? []);
        var missing = parsed.FirstOrDefault(pair => pair.Value is null);
        return missing.Key is not null
            ? throw new CliException($"--arg {missing.Key}=null: a command argument needs a value.")
            : parsed.ToImmutableDictionary(pair => pair.Key, pair => pair.Value!, StringComparer.Ordinal);
    }

    /// <summary>Who the CLI acts as: recorded as the command's, job's or schedule's requester.</summary>
    public static string User(string? given) => "cli:" + (string.IsNullOrWhiteSpace(given) ? Environment.UserName : given);
}
