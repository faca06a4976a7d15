using System.Net.Sockets;
using System.Text;
using Fleet.Devices;
using Fleet.Events;
using Fleet.Silo.Events;
using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Events;

/// <summary>
/// An SSE client that stops reading is dropped — its connection closed — once it falls a buffer
/// behind, and the silo keeps delivering to everyone else. Its own host, with a small client buffer
/// and a fast heartbeat.
/// </summary>
public sealed class SlowClientTests(SlowClientTests.SmallBufferHost fixture) : IClassFixture<SlowClientTests.SmallBufferHost>
{
    private readonly FleetHost _host = fixture.Host;

    /// <summary>A host whose SSE clients may fall 16 events behind, with a heartbeat every 200 ms.</summary>
    public sealed class SmallBufferHost : IAsyncLifetime
    {
        public FleetHost Host { get; } = new(new Dictionary<string, string>
        {
            ["Fleet:Events:ClientBuffer"] = "16",
            ["Fleet:Events:Heartbeat"] = "00:00:00.2",
        });

        public Task InitializeAsync() => Host.StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    [Fact]
    public async Task AClientThatStopsReadingIsDroppedWhileOthersKeepReceiving()
    {
        var hub = _host.Service<EventHub>();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync("127.0.0.1", _host.HttpPort);
        var request = $"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nX-Api-Key: {_host.AdminKey}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        await Poll.UntilAsync(() => Task.FromResult(hub.Clients == 1), "the slow client to subscribe");

        await using var reader = await SseClient.OpenAsync(_host.Http, "/api/events?device=DU-L-SLOW-1");
        await Poll.UntilAsync(() => Task.FromResult(hub.Clients == 2), "the reading client to subscribe");

        // The slow client never reads: its socket buffers fill, then its 16-event buffer, and it is dropped.
        var padding = new string('x', 2000);
        var sent = 0;
        await Poll.UntilAsync(
            () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    hub.Deliver(Event("DU-L-SLOW-0", padding));
                    sent++;
                }

                return Task.FromResult(hub.DroppedClients >= 1);
            },
            "the slow client to be dropped");

        Assert.Equal(1, hub.Clients);
        hub.Deliver(Event("DU-L-SLOW-1", "for the reader"));
        var record = await reader.NextAsync();
        Assert.Equal("DU-L-SLOW-1", record.Json["deviceId"]!.GetValue<string>());

        // The server closed the slow connection: draining it ends in end-of-stream (or a reset).
        var buffer = new byte[64 * 1024];
        var closed = false;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
            {
            }

            closed = true;
        }
        catch (SocketException)
        {
            closed = true;
        }

        Assert.True(closed, $"the slow connection was not closed after {sent} events");
    }

    [Fact]
    public async Task AQuietStreamCarriesHeartbeatComments()
    {
        await using var stream = await SseClient.OpenAsync(_host.Http, "/api/events?device=DU-L-QUIET");
        var heartbeat = await stream.WaitForAsync(record => record.Comment == "heartbeat", "a heartbeat comment", TimeSpan.FromSeconds(10));
        Assert.Null(heartbeat.Event);
    }

    private static FleetEvent Event(string deviceId, string detail) => new()
    {
        Type = FleetEventTypes.CommandChanged,
        Kind = DeviceKind.Lamp,
        DeviceId = deviceId,
        Borough = Boroughs.Mitte,
        At = DateTimeOffset.UtcNow,
        Command = new CommandStateChange { CommandId = "c1", Name = "blink", State = "sent", Detail = detail },
    };
}
