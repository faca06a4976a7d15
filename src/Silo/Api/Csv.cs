using System.Text;

namespace Fleet.Silo.Api;

/// <summary>A small RFC 4180 reader: commas, double-quoted fields with "" escapes, CRLF or LF.</summary>
public static class Csv
{
    public static List<IReadOnlyList<string>> Parse(string text)
    {
        var lines = new List<IReadOnlyList<string>>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                EndLine(lines, cells, cell);
            }
            else
            {
                cell.Append(c);
            }
        }

        EndLine(lines, cells, cell);
        return lines;
    }

    /// <summary>Quotes a value when it needs it.</summary>
    public static string Escape(string? value) =>
        value is null ? string.Empty
        : value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
        : value;

    private static void EndLine(List<IReadOnlyList<string>> lines, List<string> cells, StringBuilder cell)
    {
        cells.Add(cell.ToString());
        cell.Clear();
        if (cells.Count > 1 || cells[0].Length > 0)
        {
            lines.Add([.. cells]);
        }

        cells.Clear();
    }
}
