using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Fleet.Commands;
using Fleet.Twins;

namespace Fleet.Silo.Api;

/// <summary>
/// A command as a request body names it: <c>{"name": "dim", "args": {"level": 40}, "ttlSeconds": 600, "id": "…"}</c>
/// (POST …/commands, and the command of a bulk job). <c>id</c> is optional: give one to make a retried POST safe.
/// </summary>
public sealed record CommandBody(string? Name, JsonElement? Args, int? TtlSeconds, string? Id)
{
    public const int MaxArgs = 16;

    /// <summary>The request for the twin, or a sentence naming what is wrong.</summary>
    public CommandRequest? ToRequest(string requestedBy, out string? error)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            error = "The command needs a 'name' (see docs/commands.md for each kind's commands).";
            return null;
        }

        var args = ImmutableDictionary.CreateBuilder<string, TwinValue>(StringComparer.Ordinal);
        if (Args is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } element)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                error = "'args' must be a JSON object of argument names and values.";
                return null;
            }

            foreach (var property in element.EnumerateObject())
            {
                if (args.Count == MaxArgs)
                {
                    error = $"A command takes at most {MaxArgs} arguments.";
                    return null;
                }

                if (TwinValue.FromJson(property.Value, out var why) is not { } value)
                {
                    error = $"Argument '{property.Name}' {why}.";
                    return null;
                }

                args[property.Name] = value;
            }
        }

        if (TtlSeconds is <= 0)
        {
            error = "'ttlSeconds' must be positive.";
            return null;
        }

        error = null;
        return new CommandRequest
        {
            Id = Id,
            Name = Name,
            Args = args.ToImmutable(),
            Ttl = TtlSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            RequestedBy = requestedBy,
        };
    }

    /// <summary>For the audit log: <c>dim {"level":40}</c>.</summary>
    public string Describe() =>
        Args is { ValueKind: JsonValueKind.Object } args ? $"{Name} {JsonSerializer.Serialize(args)}" : Name ?? string.Empty;

    /// <summary>Reads <c>5s</c>, <c>1500ms</c> or <c>5</c> (seconds); null when it is none of these.</summary>
    public static TimeSpan? ParseWait(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return TimeSpan.Zero;
        }

        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : (text, 1000.0);
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? TimeSpan.FromMilliseconds(value * unit)
            : null;
    }
}
