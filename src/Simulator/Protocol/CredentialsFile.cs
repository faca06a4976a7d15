using System.Globalization;
using System.Text;

namespace Fleet.Simulator.Protocol;

/// <summary>
/// Reads the demo credentials file: CSV with the header <c>kind,id,secret</c> (any order), plus the
/// optional columns <c>ratedW</c>, <c>borough</c> and <c>medium</c>. Blank lines and lines starting
/// with '#' are skipped; double-quoted fields may contain commas.
/// </summary>
public static class CredentialsFile
{
    public static async Task<IReadOnlyList<DeviceCredentials>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The credentials file '{Path.GetFullPath(path)}' does not exist; start the silo once (it writes the demo credentials) or pass --credentials.",
                path);
        }

        var text = await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken);
        return Parse(text, path);
    }

    public static IReadOnlyList<DeviceCredentials> Parse(string text, string source = "credentials")
    {
        var devices = new List<DeviceCredentials>();
        Dictionary<string, int>? columns = null;
        var lineNumber = 0;
        // The silo writes the file with a UTF-8 byte order mark; a string handed in may still carry it.
        foreach (var rawLine in text.TrimStart('\uFEFF').Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var fields = SplitCsvLine(line);
            if (columns is null)
            {
                columns = ReadHeader(fields, source, lineNumber);
                continue;
            }

            devices.Add(ReadDevice(fields, columns, source, lineNumber));
        }

        if (columns is null)
        {
            throw new FormatException($"{source}: no header line; expected 'kind,id,secret'.");
        }

        return devices;
    }

    private static Dictionary<string, int> ReadHeader(List<string> fields, string source, int lineNumber)
    {
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < fields.Count; i++)
        {
            columns.TryAdd(fields[i].Trim(), i);
        }

        foreach (var required in (string[])["kind", "id", "secret"])
        {
            if (!columns.ContainsKey(required))
            {
                throw new FormatException($"{source} line {lineNumber}: the header has no '{required}' column; expected 'kind,id,secret'.");
            }
        }

        return columns;
    }

    private static DeviceCredentials ReadDevice(List<string> fields, Dictionary<string, int> columns, string source, int lineNumber)
    {
        string? Field(string name) =>
            columns.TryGetValue(name, out var index) && index < fields.Count && !string.IsNullOrWhiteSpace(fields[index])
                ? fields[index].Trim()
                : null;

        var kindText = Field("kind");
        if (!DeviceKinds.TryNormalize(kindText, out var kind))
        {
            throw new FormatException($"{source} line {lineNumber}: unknown kind '{kindText}'; expected one of {string.Join(", ", DeviceKinds.All)}.");
        }

        var id = Field("id") ?? throw new FormatException($"{source} line {lineNumber}: the id is empty.");
        var secret = Field("secret") ?? throw new FormatException($"{source} line {lineNumber}: the secret of {kind}/{id} is empty.");
        double? rated = null;
        if ((Field("ratedW") ?? Field("ratedWatts")) is { } ratedText)
        {
            rated = double.TryParse(ratedText, NumberStyles.Float, CultureInfo.InvariantCulture, out var watts) && watts > 0
                ? watts
                : throw new FormatException($"{source} line {lineNumber}: ratedW '{ratedText}' is not a positive number.");
        }

        return new DeviceCredentials(kind, id, secret)
        {
            RatedWatts = rated,
            Borough = Field("borough"),
            Medium = Field("medium")?.ToLowerInvariant(),
        };
    }

    private static List<string> SplitCsvLine(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return fields;
    }
}
