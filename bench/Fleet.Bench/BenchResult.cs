using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Bench;

/// <summary>
/// What one subcommand measured: named figures plus notes, with the command that produced them.
/// Written as JSON to --out (and printed), read back by <see cref="BenchReport"/>.
/// </summary>
internal sealed class BenchResult(string id)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Id { get; } = id;

    public string Command { get; set; } = BenchArgs.CommandLine();

    public SortedDictionary<string, double> Figures { get; } = new(StringComparer.Ordinal);

    public List<string> Notes { get; } = [];

    public double this[string name]
    {
        get => Figures.TryGetValue(name, out var value) ? value : double.NaN;
        set => Figures[name] = value;
    }

    public async Task SaveAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var node = new JsonObject
        {
            ["id"] = Id,
            ["command"] = Command,
            ["figures"] = new JsonObject(Figures.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)JsonValue.Create(double.IsFinite(pair.Value) ? pair.Value : 0)))),
            ["notes"] = new JsonArray([.. Notes.Select(note => (JsonNode?)JsonValue.Create(note))]),
        };
        var text = node.ToJsonString(Json);
        Console.WriteLine(text);
        if (args.Text("out") is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, text, cancellationToken);
        }
    }

    public static async Task<BenchResult?> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var node = JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken))!.AsObject();
        var result = new BenchResult(node["id"]!.GetValue<string>()) { Command = node["command"]!.GetValue<string>() };
        foreach (var (name, value) in node["figures"]!.AsObject())
        {
            result.Figures[name] = value!.GetValue<double>();
        }

        result.Notes.AddRange(node["notes"]!.AsArray().Select(note => note!.GetValue<string>()));
        return result;
    }

    public static string Format(double value, string format = "N0") =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "—";
}
