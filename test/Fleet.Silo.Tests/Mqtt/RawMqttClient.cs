using System.Net.Sockets;
using System.Text;

namespace Fleet.Silo.Tests.Mqtt;

/// <summary>
/// A bare MQTT client on a socket, for what a library would hide: a connection that stays silent
/// (keep-alive expiry), a socket that is reset, and the exact DISCONNECT reason a v5 client is
/// sent. (Kestrel resets the socket right after the server's DISCONNECT; the bytes still arrive
/// first, but a client library may notice the reset before it reads them.)
/// </summary>
internal sealed class RawMqttClient : IDisposable
{
    private readonly Socket _socket;

    private RawMqttClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    /// <summary>Connects (clean session, user name and password) and asserts a successful CONNACK.</summary>
    public static async Task<RawMqttClient> ConnectAsync(int port, string userName, string password, ushort keepAliveSeconds = 60, bool v5 = true)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        var client = new RawMqttClient(socket);
        var body = new List<byte>();
        body.AddRange(Str("MQTT"));
        body.Add(v5 ? (byte)5 : (byte)4);
        body.Add(0b1100_0010);                         // user name, password, clean session
        body.Add((byte)(keepAliveSeconds >> 8));
        body.Add((byte)keepAliveSeconds);
        if (v5)
        {
            body.Add(0);                               // no properties
        }

        body.AddRange(Str("raw-" + Guid.NewGuid().ToString("N")));
        body.AddRange(Str(userName));
        body.AddRange(Str(password));
        await client.SendAsync(0x10, body);

        var (type, connack) = await client.ReadPacketAsync() ?? throw new InvalidOperationException("no CONNACK");
        Assert.Equal(0x20, type & 0xF0);
        Assert.Equal(0, connack[1]);
        return client;
    }

    /// <summary>
    /// Reads until the server's DISCONNECT and returns its reason code (v5), or null when the
    /// connection ended without one.
    /// </summary>
    public async Task<int?> ReadDisconnectReasonAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (await ReadPacketAsync(cancel.Token) is var (type, body))
        {
            if ((type & 0xF0) == 0xE0)
            {
                return body.Length == 0 ? 0 : body[0];
            }
        }

        return null;
    }

    /// <summary>True when the server has closed (or reset) the connection.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (await ReadPacketAsync(cancel.Token) is not null)
        {
        }

        return true;
    }

    public void Dispose() => _socket.Dispose();

    private async Task SendAsync(byte header, List<byte> body)
    {
        var packet = new List<byte> { header };
        var length = body.Count;
        do
        {
            var digit = (byte)(length % 128);
            length /= 128;
            packet.Add(length > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (length > 0);

        packet.AddRange(body);
        await _socket.SendAsync(packet.ToArray());
    }

    /// <summary>The next packet, or null at the end of the connection (FIN or reset).</summary>
    private async Task<(byte Type, byte[] Body)?> ReadPacketAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var header = new byte[1];
            if (!await ReadExactlyAsync(header, cancellationToken))
            {
                return null;
            }

            int length = 0, shift = 0;
            var digit = new byte[1];
            do
            {
                if (!await ReadExactlyAsync(digit, cancellationToken))
                {
                    return null;
                }

                length |= (digit[0] & 0x7F) << shift;
                shift += 7;
            }
            while ((digit[0] & 0x80) != 0);

            var body = new byte[length];
            return await ReadExactlyAsync(body, cancellationToken) ? (header[0], body) : null;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            return null;
        }
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private static byte[] Str(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }
}
