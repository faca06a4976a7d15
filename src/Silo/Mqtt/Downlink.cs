using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fleet.Grains.Gateway;
using Fleet.Twins;

namespace Fleet.Silo.Mqtt;

/// <summary>Writes downlink payloads (docs/protocol.md defines them).</summary>
internal static class DownlinkPayload
{
    public const int MaxEchoedTopicLength = 256;

    // Devices and people read these (mosquitto_sub prints them): keep ' and non-ASCII readable
    // instead of \u escapes. Nothing here is ever embedded in HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>{"version": n, "desired": {…}, "delta": {…}}</c>, fields in ordinal order.</summary>
    public static byte[] Desired(DesiredDocument document) => Write(writer =>
    {
        writer.WriteNumber("version", document.Version);
        writer.WritePropertyName("desired");
        WriteValues(writer, document.Desired);
        writer.WritePropertyName("delta");
        WriteValues(writer, document.Delta);
    });

    /// <summary><c>{"name": "…", "args": {…}, "expiresAt": "…"}</c>.</summary>
    public static byte[] Command(CommandMessage command) => Write(writer =>
    {
        writer.WriteString("name", command.Name);
        writer.WritePropertyName("args");
        WriteValues(writer, command.Args);
        writer.WriteString("expiresAt", command.ExpiresAt.UtcDateTime);
    });

    /// <summary><c>{"topic": "…", "error": "…", "code": "…", "seq": n|null}</c>.</summary>
    public static byte[] Error(string topic, UplinkAnswer answer) => Write(writer =>
    {
        writer.WriteString("topic", topic.Length > MaxEchoedTopicLength ? topic[..MaxEchoedTopicLength] : topic);
        writer.WriteString("error", answer.Error);
        writer.WriteString("code", answer.Reason);
        if (answer.Seq is { } seq)
        {
            writer.WriteNumber("seq", seq);
        }
        else
        {
            writer.WriteNull("seq");
        }
    });

    private static void WriteValues(Utf8JsonWriter writer, IReadOnlyDictionary<string, TwinValue> values)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in values.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
