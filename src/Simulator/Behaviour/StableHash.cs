using System.Text;

namespace Fleet.Simulator.Behaviour;

/// <summary>
/// Per-device constants that must not change between runs (a meter's base register, a bay's radio
/// quality): derived from the device id with FNV-1a, not from the seeded random or string.GetHashCode.
/// </summary>
public static class StableHash
{
    public static ulong Of(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        // splitmix64 finaliser: ids differing in one digit must not give neighbouring fractions.
        hash = (hash ^ (hash >> 30)) * 0xBF58476D1CE4E5B9UL;
        hash = (hash ^ (hash >> 27)) * 0x94D049BB133111EBUL;
        return hash ^ (hash >> 31);
    }

    /// <summary>A number in [0, 1) fixed for this device and purpose.</summary>
    public static double Fraction(string deviceKey, string purpose) => (Of(deviceKey + "#" + purpose) >> 11) * (1.0 / (1UL << 53));
}
