using System.Net;
using System.Net.Sockets;

namespace Fleet.Simulator.Engine;

/// <summary>
/// Local addresses to spread device connections over. One address gives at most ~28k outgoing
/// connections (the ephemeral port range), so a large simulated city binds each device's socket to
/// one of several loopback addresses (all of 127.0.0.0/8 is the loopback interface on Linux).
/// </summary>
public static class SourceAddresses
{
    /// <summary>Parses <c>127.0.0.1-127.0.0.8</c>, <c>127.0.0.1,127.0.0.2</c> or a mix of both.</summary>
    public static IReadOnlyList<IPAddress> Parse(string text)
    {
        var addresses = new List<IPAddress>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                addresses.Add(ParseAddress(part));
                continue;
            }

            var first = ParseAddress(part[..dash]);
            var last = ParseAddress(part[(dash + 1)..]);
            if (first.AddressFamily != AddressFamily.InterNetwork || last.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new FormatException($"'{part}': ranges are for IPv4 addresses only; list IPv6 addresses one by one.");
            }

            var from = ToNumber(first);
            var to = ToNumber(last);
            if (to < from || to - from >= 65536)
            {
                throw new FormatException($"'{part}' is not an ascending range of at most 65,536 addresses.");
            }

            for (var n = from; n <= to; n++)
            {
                addresses.Add(FromNumber(n));
            }
        }

        return addresses.Count > 0 ? addresses : throw new FormatException("No source address given.");
    }

    private static IPAddress ParseAddress(string text) =>
        IPAddress.TryParse(text.Trim(), out var address) ? address : throw new FormatException($"'{text}' is not an IP address.");

    private static uint ToNumber(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    private static IPAddress FromNumber(uint n) => new([(byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n]);
}
