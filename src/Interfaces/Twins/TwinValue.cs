using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Twins;

public enum TwinValueType
{
    Bool,
    Number,
    Text,
    TextList,
}

/// <summary>
/// One plain value of a twin field: a boolean, a number, a string or a list of strings. In JSON it
/// is written as the plain value, so reported, desired and delta read like ordinary JSON objects
/// and a merge patch on desired is natural.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.TwinValue")]
[JsonConverter(typeof(TwinValueJsonConverter))]
public sealed record TwinValue
{
    [Id(0)] public TwinValueType Type { get; init; }
    [Id(1)] public double Number { get; init; }
    [Id(2)] public bool Bool { get; init; }
    [Id(3)] public string? Text { get; init; }
    [Id(4)] public ImmutableArray<string> List { get; init; } = [];

    public static TwinValue Of(bool value) => new() { Type = TwinValueType.Bool, Bool = value };

    public static TwinValue Of(double value) => new() { Type = TwinValueType.Number, Number = value };

    public static TwinValue Of(string value) => new() { Type = TwinValueType.Text, Text = value };

    public static TwinValue Of(IEnumerable<string> values) => new() { Type = TwinValueType.TextList, List = [.. values] };

    public bool Equals(TwinValue? other) =>
        other is not null && Type == other.Type && Type switch
        {
            TwinValueType.Bool => Bool == other.Bool,
            TwinValueType.Number => Number.Equals(other.Number),
            TwinValueType.Text => string.Equals(Text, other.Text, StringComparison.Ordinal),
            _ => List.SequenceEqual(other.List, StringComparer.Ordinal),
        };

    public override int GetHashCode() => Type switch
    {
        TwinValueType.Bool => HashCode.Combine(Type, Bool),
        TwinValueType.Number => HashCode.Combine(Type, Number),
        TwinValueType.Text => HashCode.Combine(Type, Text),
        _ => HashCode.Combine(Type, List.Length),
    };

    public override string ToString() => Type switch
    {
        TwinValueType.Bool => Bool ? "true" : "false",
        TwinValueType.Number => Number.ToString("R", CultureInfo.InvariantCulture),
        TwinValueType.Text => Text ?? string.Empty,
        _ => "[" + string.Join(",", List) + "]",
    };

    /// <summary>
    /// Reads a plain JSON value. Returns null with an error for anything that is not a boolean,
    /// a finite number, a string or an array of strings.
    /// </summary>
    public static TwinValue? FromJson(JsonElement element, out string? error)
    {
        error = null;
        switch (element.ValueKind)
        {
            case JsonValueKind.True:
                return Of(true);
            case JsonValueKind.False:
                return Of(false);
            case JsonValueKind.Number:
                if (element.TryGetDouble(out var number) && double.IsFinite(number))
                {
                    return Of(number);
                }

                error = "is not a finite number";
                return null;
            case JsonValueKind.String:
                return Of(element.GetString()!);
            case JsonValueKind.Array:
                var items = new List<string>();
                foreach (var item in element.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        error = "must be a list of strings";
                        return null;
                    }

                    items.Add(item.GetString()!);
                }

                return Of(items);
            default:
                error = $"has an unsupported JSON type ({element.ValueKind.ToString().ToLowerInvariant()})";
                return null;
        }
    }

    public void WriteTo(Utf8JsonWriter writer)
    {
        switch (Type)
        {
            case TwinValueType.Bool:
                writer.WriteBooleanValue(Bool);
                break;
            case TwinValueType.Number:
                writer.WriteNumberValue(Number);
                break;
            case TwinValueType.Text:
                writer.WriteStringValue(Text);
                break;
            default:
                writer.WriteStartArray();
                foreach (var item in List)
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
        }
    }
}

/// <summary>Writes and reads a <see cref="TwinValue"/> as its plain JSON value.</summary>
public sealed class TwinValueJsonConverter : JsonConverter<TwinValue>
{
    public override TwinValue? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return TwinValue.FromJson(document.RootElement, out var error)
            ?? throw new JsonException("The value " + error + ".");
    }

    public override void Write(Utf8JsonWriter writer, TwinValue value, JsonSerializerOptions options) => value.WriteTo(writer);
}
