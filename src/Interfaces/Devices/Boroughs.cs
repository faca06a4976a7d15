namespace Fleet.Devices;

/// <summary>Duisburg's seven boroughs (Stadtbezirke), spelt as the city spells them.</summary>
public static class Boroughs
{
    public const string Walsum = "Walsum";
    public const string Hamborn = "Hamborn";
    public const string MeiderichBeeck = "Meiderich/Beeck";
    public const string HombergRuhrortBaerl = "Homberg/Ruhrort/Baerl";
    public const string Mitte = "Mitte";
    public const string Rheinhausen = "Rheinhausen";
    public const string Sued = "Süd";

    public static IReadOnlyList<string> All { get; } =
        [Walsum, Hamborn, MeiderichBeeck, HombergRuhrortBaerl, Mitte, Rheinhausen, Sued];

    /// <summary>
    /// Finds the borough by name, ignoring case; "Sued" and "Sud" are accepted for "Süd" because
    /// many systems and keyboards lack the umlaut.
    /// </summary>
    public static bool TryNormalize(string? name, out string borough)
    {
        borough = string.Empty;
        if (string.IsNullOrWhiteSpace(name))
        {
            return false;
        }

        var trimmed = name.Trim();
        if (trimmed.Equals("Sued", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("Sud", StringComparison.OrdinalIgnoreCase))
        {
            borough = Sued;
            return true;
        }

        foreach (var candidate in All)
        {
            if (candidate.Equals(trimmed, StringComparison.OrdinalIgnoreCase))
            {
                borough = candidate;
                return true;
            }
        }

        return false;
    }

    public static string Describe() => "one of " + string.Join(", ", All);
}
