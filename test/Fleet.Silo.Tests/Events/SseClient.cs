using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Fleet.Silo.Tests.Events;

/// <summary>One record of an event stream: id, event type, data — or a comment.</summary>
internal sealed record SseRecord(string? Id, string? Event, string? Data, string? Comment)
{
    public JsonNode Json => JsonNode.Parse(Data ?? throw new InvalidOperationException("The record has no data.")) ?? throw new InvalidOperationException("Empty data.");
}

/// <summary>
/// Reads /api/events through a real HttpClient and parses the Server-Sent Events records as they
/// arrive, so tests await records with a deadline instead of sleeping.
/// </summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseRecord> _records = Channel.CreateUnbounded<SseRecord>();
    private readonly Task _reading;

    private SseClient(HttpResponseMessage response)
    {
        _response = response;
        _reading = ReadAsync();
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseClient> OpenAsync(HttpClient http, string url, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response);
    }

    /// <summary>The next event record (comments are skipped unless asked for).</summary>
    public async Task<SseRecord> NextAsync(TimeSpan? timeout = null, bool comments = false)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            SseRecord record;
            try
            {
                record = await _records.Reader.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("No event arrived in time.");
            }
            catch (ChannelClosedException)
            {
                throw new EndOfStreamException("The event stream ended.");
            }

            if (comments || record.Comment is null)
            {
                return record;
            }
        }
    }

    /// <summary>Skips records until one matches; fails after the deadline.</summary>
    public async Task<SseRecord> WaitForAsync(Func<SseRecord, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            try
            {
                var record = await NextAsync(left, comments: true);
                if (match(record))
                {
                    return record;
                }
            }
            catch (TimeoutException)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }
        }
    }

    /// <summary>True when no event record arrives within <paramref name="quiet"/> (comments do not count).</summary>
    public async Task<SseRecord?> NextOrNullAsync(TimeSpan quiet)
    {
        try
        {
            return await NextAsync(quiet);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? id = null, type = null, comment = null;
            var data = new StringBuilder();
            var hasData = false;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (hasData || type is not null || comment is not null)
                    {
                        await _records.Writer.WriteAsync(new SseRecord(id, type, hasData ? data.ToString() : null, hasData || type is not null ? null : comment), _stop.Token);
                    }

                    id = type = comment = null;
                    data.Clear();
                    hasData = false;
                    continue;
                }

                if (line.StartsWith(':'))
                {
                    comment = line[1..].Trim();
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? string.Empty : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        type = value;
                        break;
                    case "data":
                        if (hasData)
                        {
                            data.Append('\n');
                        }

                        data.Append(value);
                        hasData = true;
                        break;
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or HttpRequestException)
        {
            // Closed by the test or the server.
        }
        finally
        {
            _records.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading;
        _stop.Dispose();
    }
}
