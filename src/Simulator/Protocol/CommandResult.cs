using System.Text.Json;

namespace Fleet.Simulator.Protocol;

/// <summary>The statuses a device answers with on <c>commands/{commandId}/result</c>.</summary>
public static class CommandStatus
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Rejected = "rejected";
}

/// <summary>A command's answer: <c>{"status": "succeeded|failed|rejected", "detail": "..."}</c>.</summary>
public sealed record CommandResult(string Status, string Detail)
{
    public byte[] ToPayload()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("status", Status);
            writer.WriteString("detail", Detail);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }
}
