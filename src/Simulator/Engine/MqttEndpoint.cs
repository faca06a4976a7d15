using System.Globalization;
using System.Net;

namespace Fleet.Simulator.Engine;

/// <summary>One silo (or broker) a device may connect to.</summary>
public sealed record MqttEndpoint(string Host, int Port)
{
    public const int DefaultPort = 1883;

    public EndPoint ToEndPoint() =>
        IPAddress.TryParse(Host, out var address) ? new IPEndPoint(address, Port) : new DnsEndPoint(Host, Port);

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Parses <c>host</c>, <c>host:port</c> or <c>[ipv6]:port</c>.</summary>
    public static MqttEndpoint Parse(string text)
    {
        var trimmed = text.Trim();
        string host;
        string? port = null;
        if (trimmed.StartsWith('['))
        {
            var close = trimmed.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{text}' is not host:port (missing ']').");
            }

            host = trimmed[1..close];
            var after = trimmed[(close + 1)..];
            if (after.Length > 0)
            {
                port = after.StartsWith(':') ? after[1..] : throw new FormatException($"'{text}' is not host:port.");
            }
        }
        else
        {
            var colon = trimmed.LastIndexOf(':');
            if (colon >= 0 && trimmed.IndexOf(':', StringComparison.Ordinal) == colon)
            {
                host = trimmed[..colon];
                port = trimmed[(colon + 1)..];
            }
            else
            {
                host = trimmed;
            }
        }

        if (host.Length == 0)
        {
            throw new FormatException($"'{text}' has no host.");
        }

        var number = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            throw new FormatException($"'{text}' has no valid port (1–65535).");
        }

        return new MqttEndpoint(host, number);
    }

    /// <summary>Parses a comma-separated list of endpoints.</summary>
    public static IReadOnlyList<MqttEndpoint> ParseList(string text)
    {
        var endpoints = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();
        return endpoints.Count > 0 ? endpoints : throw new FormatException("No endpoint given; expected host:port[,host:port…].");
    }
}
