using System.Globalization;

namespace Fleet.Twins;

public enum FieldType
{
    Bool,
    Number,
    Integer,
    Word,
    Text,
    TextList,
    Timestamp,
}

/// <summary>Where a field may be written from.</summary>
[Flags]
public enum FieldUse
{
    None = 0,
    /// <summary>The device reports it.</summary>
    Reported = 1,
    /// <summary>Operations may desire it.</summary>
    Desired = 2,
    /// <summary>Fleet computes it; a device that sends it is told so and it is ignored.</summary>
    Derived = 4,
}

/// <summary>The rules for one twin field: its JSON type, range and who may write it.</summary>
public sealed record FieldSpec(string Name, FieldType Type, FieldUse Use)
{
    public double Min { get; init; } = double.MinValue;
    public double Max { get; init; } = double.MaxValue;
    public IReadOnlyList<string> Words { get; init; } = [];
    public int MaxLength { get; init; } = 64;
    public int MaxItems { get; init; } = 8;
    public string? Unit { get; init; }

    public bool IsReported => Use.HasFlag(FieldUse.Reported);
    public bool IsDesired => Use.HasFlag(FieldUse.Desired);

    /// <summary>Returns null when the value fits, otherwise an error that names the field.</summary>
    public string? Check(TwinValue value)
    {
        switch (Type)
        {
            case FieldType.Bool:
                return value.Type == TwinValueType.Bool ? null : $"'{Name}' must be true or false";
            case FieldType.Number:
            case FieldType.Integer:
                if (value.Type != TwinValueType.Number)
                {
                    return $"'{Name}' must be a number";
                }

                if (!double.IsFinite(value.Number))
                {
                    return $"'{Name}' must be a finite number";
                }

                if (Type == FieldType.Integer && value.Number != Math.Floor(value.Number))
                {
                    return $"'{Name}' must be a whole number";
                }

                return value.Number < Min || value.Number > Max
                    ? string.Create(CultureInfo.InvariantCulture, $"'{Name}' must be between {Min} and {Max}, not {value.Number}")
                    : null;
            case FieldType.Word:
                return value.Type == TwinValueType.Text && Words.Contains(value.Text)
                    ? null
                    : $"'{Name}' must be one of {string.Join("|", Words)}";
            case FieldType.Text:
                if (value.Type != TwinValueType.Text)
                {
                    return $"'{Name}' must be a string";
                }

                return value.Text!.Length > MaxLength ? $"'{Name}' must be at most {MaxLength} characters" : null;
            case FieldType.TextList:
                if (value.Type != TwinValueType.TextList)
                {
                    return $"'{Name}' must be a list of strings";
                }

                if (value.List.Length > MaxItems)
                {
                    return $"'{Name}' must have at most {MaxItems} entries";
                }

                return value.List.Any(item => item.Length == 0 || item.Length > MaxLength)
                    ? $"'{Name}' entries must be 1 to {MaxLength} characters"
                    : null;
            case FieldType.Timestamp:
                return value.Type == TwinValueType.Text
                       && DateTimeOffset.TryParse(value.Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
                    ? null
                    : $"'{Name}' must be an ISO-8601 timestamp";
            default:
                return $"'{Name}' has an unknown type";
        }
    }
}
