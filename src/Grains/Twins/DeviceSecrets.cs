using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Grains.Twins;

/// <summary>
/// Device secrets: 256 random bits, URL-safe base64. Only SHA-256 of a secret is stored — a fast
/// hash is right for a high-entropy random secret, and keeps a reconnect storm of tens of
/// thousands of devices from becoming CPU-bound the way a slow password hash would.
/// </summary>
public static class DeviceSecrets
{
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool Matches(string? secret, byte[]? hash) =>
        secret is { Length: > 0 and <= 256 } && hash is { Length: 32 }
        && CryptographicOperations.FixedTimeEquals(Hash(secret), hash);
}
