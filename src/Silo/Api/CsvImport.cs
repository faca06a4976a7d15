using System.Globalization;
using System.Text;
using Fleet.Devices;
using Fleet.Silo.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Silo.Api;

/// <summary>
/// Bulk registration from CSV. The header names the columns (any order):
/// kind,id,borough,lat,lon[,model,installed,street,zone,ratedWatts,medium]. Each row is
/// provisioned on its own; a bad row is reported and the rest go on.
/// </summary>
public static class CsvImport
{
    public const int MaxBytes = 8 * 1024 * 1024;
    public const int MaxRows = 50_000;
    private const int Parallelism = 32;

    private static readonly string[] Required = ["kind", "id", "borough", "lat", "lon"];

    public static async Task<Results<Ok<ImportReport>, ProblemHttpResult>> ImportAsync(
        HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
        {
            return Problems.TooLarge($"An import may be at most {MaxBytes / 1024 / 1024} MiB; split the file.");
        }

        string text;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            var buffer = new char[MaxBytes + 1];
            var length = await reader.ReadBlockAsync(buffer, cancellationToken);
            if (length > MaxBytes)
            {
                return Problems.TooLarge($"An import may be at most {MaxBytes / 1024 / 1024} MiB; split the file.");
            }

            text = new string(buffer, 0, length);
        }

        var lines = Csv.Parse(text);
        if (lines.Count == 0)
        {
            return Problems.BadRequest("The CSV is empty; the first line must be a header: " + string.Join(",", Required) + ",…");
        }

        var header = lines[0].Select(name => name.Trim()).ToList();
        var missing = Required.Where(column => !header.Contains(column, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            return Problems.BadRequest("The CSV header lacks the column(s) " + string.Join(", ", missing) + ".");
        }

        if (lines.Count - 1 > MaxRows)
        {
            return Problems.TooLarge($"An import may have at most {MaxRows} rows; this one has {lines.Count - 1}.");
        }

        var rows = new ImportRow[lines.Count - 1];
        await Parallel.ForEachAsync(
            Enumerable.Range(1, lines.Count - 1),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (index, _) => rows[index - 1] = await ImportRowAsync(grains, header, lines[index], index + 1));

        var created = rows.Count(row => row.Status == "created");
        request.HttpContext.Audit().Detail = $"{rows.Length} rows: {created} created, {rows.Length - created} failed";
        return TypedResults.Ok(new ImportReport(created, rows.Length - created, rows));
    }

    private static async Task<ImportRow> ImportRowAsync(IGrainFactory grains, List<string> header, IReadOnlyList<string> cells, int line)
    {
        string? Cell(string name)
        {
            var index = header.FindIndex(column => column.Equals(name, StringComparison.OrdinalIgnoreCase));
            return index >= 0 && index < cells.Count && cells[index].Trim() is { Length: > 0 } value ? value : null;
        }

        var kind = Cell("kind");
        var id = Cell("id");
        if (ParseRow(Cell, out var error) is not { } metadata)
        {
            return new ImportRow(line, kind, id, "failed", null, error);
        }

        var (credentials, problem) = await ProvisioningApi.ProvisionAsync(grains, new ProvisionRequest(kind, id, metadata));
        return credentials is not null
            ? new ImportRow(line, kind, id, "created", credentials.Secret, null)
            : new ImportRow(line, kind, id, "failed", null, problem!.ProblemDetails.Detail);
    }

    private static DeviceMetadata? ParseRow(Func<string, string?> cell, out string? error)
    {
        error = null;
        if (!TryNumber(cell("lat"), out var lat) || !TryNumber(cell("lon"), out var lon))
        {
            error = "'lat' and 'lon' must be decimal numbers (with a dot)";
            return null;
        }

        double? rated = null;
        if (cell("ratedWatts") is { } ratedText)
        {
            if (!TryNumber(ratedText, out var watts))
            {
                error = "'ratedWatts' must be a number";
                return null;
            }

            rated = watts;
        }

        DateOnly? installed = null;
        if (cell("installed") is { } installedText)
        {
            if (!DateOnly.TryParseExact(installedText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                error = "'installed' must be a date like 2024-05-31";
                return null;
            }

            installed = date;
        }

        return new DeviceMetadata
        {
            Borough = cell("borough") ?? string.Empty,
            Lat = lat,
            Lon = lon,
            Model = cell("model"),
            Installed = installed,
            Street = cell("street"),
            Zone = cell("zone"),
            RatedWatts = rated,
            Medium = cell("medium"),
        };
    }

    private static bool TryNumber(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}

public sealed record ImportReport(int Created, int Failed, IReadOnlyList<ImportRow> Rows);

/// <summary>One CSV line's outcome; the secret is shown once, for created devices only.</summary>
public sealed record ImportRow(int Line, string? Kind, string? Id, string Status, string? Secret, string? Error);
