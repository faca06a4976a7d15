using System.Globalization;
using System.Net;
using Fleet.Simulator.Cli;
using Fleet.Simulator.Engine;

namespace Fleet.Bench;

/// <summary>"--name value" pairs; every value the harness needs is named, so a command line reads as its own record.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static BenchArgs Parse(IEnumerable<string> args)
    {
        var parsed = new BenchArgs();
        string? name = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (name is not null)
                {
                    parsed._values[name] = "true";
                }

                name = arg[2..];
            }
            else if (name is not null)
            {
                parsed._values[name] = arg;
                name = null;
            }
            else
            {
                throw new ArgumentException($"'{arg}' is not preceded by an --option.");
            }
        }

        if (name is not null)
        {
            parsed._values[name] = "true";
        }

        return parsed;
    }

    public string? Text(string name) => _values.GetValueOrDefault(name);

    public string Text(string name, string fallback) => _values.GetValueOrDefault(name) ?? fallback;

    public string Required(string name) => _values.GetValueOrDefault(name) ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var text) ? int.Parse(text.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        _values.TryGetValue(name, out var text) ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => _values.TryGetValue(name, out var text) && text != "false";

    public TimeSpan Duration(string name, TimeSpan fallback) =>
        _values.TryGetValue(name, out var text) ? CliValues.ParseDuration(text) : fallback;

    public IReadOnlyList<IPAddress> Sources(string name) =>
        _values.TryGetValue(name, out var text) ? SourceAddresses.Parse(text) : [];

    public IReadOnlyList<int> Ints(string name, params int[] fallback) =>
        _values.TryGetValue(name, out var text)
            ? [.. text.Split(',').Select(part => int.Parse(part.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture))]
            : fallback;

    /// <summary>The command as it was typed, for the report ("every figure states its command").</summary>
    public static string CommandLine() =>
        "fleet-bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(arg => arg.Contains(' ', StringComparison.Ordinal) ? $"'{arg}'" : arg));
}
