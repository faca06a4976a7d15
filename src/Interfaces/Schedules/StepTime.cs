using System.Globalization;

namespace Fleet.Schedules;

/// <summary>What a schedule step's time is measured from.</summary>
public enum StepAnchor
{
    /// <summary>A local wall-clock time (Europe/Berlin), e.g. 23:00.</summary>
    Clock,
    /// <summary>Sunrise at Duisburg, plus or minus minutes.</summary>
    Sunrise,
    /// <summary>Sunset at Duisburg, plus or minus minutes.</summary>
    Sunset,
}

/// <summary>
/// When a schedule step happens each day: <c>HH:mm</c> local time, or <c>sunset±min</c> /
/// <c>sunrise±min</c>. For <see cref="StepAnchor.Clock"/>, <see cref="Minutes"/> counts from local
/// midnight; for the sun it is the offset from the event.
/// </summary>
public readonly record struct StepTime(StepAnchor Anchor, int Minutes)
{
    /// <summary>The largest offset from sunrise or sunset, in minutes.</summary>
    public const int MaxSunOffsetMinutes = 240;

    public const string Rule = "a step's 'at' is HH:mm (local time), sunset±minutes or sunrise±minutes, e.g. 23:00, sunset-15, sunrise+10";

    /// <summary>Reads <c>23:00</c>, <c>7:30</c>, <c>sunset</c>, <c>sunset-15</c>, <c>sunrise+10</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out StepTime time, out string? error)
    {
        time = default;
        error = null;
        var trimmed = text?.Trim() ?? string.Empty;
        foreach (var (word, anchor) in new[] { ("sunset", StepAnchor.Sunset), ("sunrise", StepAnchor.Sunrise) })
        {
            if (!trimmed.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var offset = trimmed[word.Length..].Trim();
            if (offset.Length == 0)
            {
                time = new StepTime(anchor, 0);
                return true;
            }

            if (offset[0] is not ('+' or '-')
                || !int.TryParse(offset.AsSpan(1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
                || minutes > MaxSunOffsetMinutes)
            {
                error = $"'{text}' is not {word}±minutes with at most {MaxSunOffsetMinutes} minutes, e.g. {word}-15";
                return false;
            }

            time = new StepTime(anchor, offset[0] == '-' ? -minutes : minutes);
            return true;
        }

        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon is 1 or 2
            && trimmed.Length - colon == 3
            && int.TryParse(trimmed.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var hour)
            && int.TryParse(trimmed.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var minute)
            && hour < 24
            && minute < 60)
        {
            time = new StepTime(StepAnchor.Clock, (hour * 60) + minute);
            return true;
        }

        error = $"'{text}' is not a step time; {Rule}";
        return false;
    }

    /// <summary>The canonical text: <c>07:30</c>, <c>sunset-15</c>, <c>sunrise</c>.</summary>
    public override string ToString() => Anchor switch
    {
        StepAnchor.Clock => string.Create(CultureInfo.InvariantCulture, $"{Minutes / 60:00}:{Minutes % 60:00}"),
        _ => (Anchor == StepAnchor.Sunset ? "sunset" : "sunrise")
            + (Minutes == 0 ? string.Empty : Minutes.ToString("+0;-0", CultureInfo.InvariantCulture)),
    };
}
