using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Silo.Auth;

/// <summary>
/// What an API key is: "fk_" and 32 random bytes in base64url (46 characters, URL-safe). Only its
/// SHA-256 is kept. A plain hash is right here, unlike for passwords: 256 random bits cannot be
/// guessed, so a slow hash would only slow down every request. The key's id is the first 8 bytes
/// of that hash in hex — derived, so a presented key finds its row without a scan.
/// </summary>
internal static class ApiKeySecret
{
    public const string Prefix = "fk_";

    /// <summary>Longer headers are refused before they are hashed.</summary>
    public const int MaxLength = 256;

    private const int RandomBytes = 32;
    private static readonly int GeneratedLength = Prefix.Length + Base64Url.GetEncodedLength(RandomBytes);
    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static string Generate() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string IdOf(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash[..8]);

    /// <summary>True for a key of the generated shape; anything else cannot be in the key table.</summary>
    public static bool HasGeneratedShape(string key) =>
        key.Length == GeneratedLength
        && key.StartsWith(Prefix, StringComparison.Ordinal)
        && key.AsSpan(Prefix.Length).ContainsAnyExcept(Base64UrlAlphabet) is false;

    /// <summary>Compares hashes in constant time.</summary>
    public static bool SameHash(ReadOnlySpan<byte> presented, string storedHex)
    {
        Span<byte> stored = stackalloc byte[32];
        return Convert.FromHexString(storedHex, stored, out _, out var written) == OperationStatus.Done
            && written == stored.Length
            && CryptographicOperations.FixedTimeEquals(presented, stored);
    }
}
