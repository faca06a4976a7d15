using System.Globalization;
using System.Text.Json;

namespace Fleet.Simulator.Protocol;

/// <summary>A command as it arrives on <c>fleet/{kind}/{id}/commands/{commandId}</c>.</summary>
public sealed class DeviceCommand
{
    private static readonly JsonElement NoArgs = JsonDocument.Parse("{}").RootElement;

    public DeviceCommand(string id, string name, JsonElement args, DateTimeOffset? expiresAt)
    {
        Id = id;
        Name = name;
        Args = args.ValueKind == JsonValueKind.Object ? args : NoArgs;
        ExpiresAt = expiresAt;
    }

    public string Id { get; }

    public string Name { get; }

    public JsonElement Args { get; }

    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>Reads <c>{"name": "...", "args": {...}, "expiresAt": "..."}</c>; null and a reason when it is not one.</summary>
    public static DeviceCommand? Parse(string id, ReadOnlyMemory<byte> payload, out string? error)
    {
        error = null;
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "the command is not a JSON object";
                return null;
            }

            if (!root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(name.GetString()))
            {
                error = "the command has no name";
                return null;
            }

            var args = root.TryGetProperty("args", out var a) ? a.Clone() : NoArgs;
            if (args.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                error = "the command's args are not an object";
                return null;
            }

            DateTimeOffset? expiresAt = null;
            if (root.TryGetProperty("expiresAt", out var expires) && expires.ValueKind == JsonValueKind.String)
            {
                expiresAt = JsonArgs.ParseTime(expires.GetString());
            }

            return new DeviceCommand(id, name.GetString()!, args, expiresAt);
        }
        catch (JsonException exception)
        {
            error = "the command is not valid JSON: " + exception.Message;
            return null;
        }
    }

    public bool? Bool(string name) => JsonArgs.Bool(Args, name);

    public double? Number(string name) => JsonArgs.Number(Args, name);

    public string? Text(string name) => JsonArgs.Text(Args, name);

    public DateTimeOffset? Time(string name) => JsonArgs.ParseTime(Text(name));
}

/// <summary>Tolerant readers for JSON members: null when absent or of another type.</summary>
public static class JsonArgs
{
    public static bool? Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    public static double? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : null;

    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    /// <summary>ISO-8601 UTC with milliseconds, e.g. 2026-11-25T17:00:00.000Z.</summary>
    public static string FormatTime(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
