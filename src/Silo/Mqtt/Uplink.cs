using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Twins;
using MQTTnet.Protocol;

namespace Fleet.Silo.Mqtt;

/// <summary>
/// The reasons an uplink is refused or noted, as they appear in the errors topic's <c>code</c>, in
/// the metric tag and (where MQTT has one) as the v5 PUBACK reason code.
/// </summary>
internal static class UplinkReasons
{
    public const string RateLimited = "rateLimited";
    public const string PayloadTooLarge = "payloadTooLarge";
    public const string NotAuthorized = "notAuthorized";
    public const string InvalidTopic = "invalidTopic";
    public const string InvalidPayload = "invalidPayload";
    public const string RejectedValue = "rejectedValue";
    public const string UnknownDevice = "unknownDevice";
    public const string UnknownCommand = "unknownCommand";
    public const string InternalError = "internalError";

    // Notices: the message was acknowledged; the device is told what was not applied.
    public const string IgnoredFields = "ignoredFields";
    public const string StaleSeq = "staleSeq";
}

/// <summary>What the gateway answers to an uplink it did not simply apply.</summary>
/// <param name="Reason">One of <see cref="UplinkReasons"/>.</param>
/// <param name="Code">The PUBACK reason code; Success for a notice (the rest was applied or the message was a duplicate).</param>
/// <param name="Error">A sentence for the device maker, naming the field where there is one.</param>
/// <param name="Seq">The message's seq when it could be read.</param>
/// <param name="Close">Close the session with this reason after answering.</param>
internal sealed record UplinkAnswer(string Reason, MqttPubAckReasonCode Code, string Error, long? Seq = null, MqttDisconnectReasonCode? Close = null)
{
    public bool IsRejection => Code != MqttPubAckReasonCode.Success;
}

/// <summary>A device's report of a command's outcome (…/commands/{commandId}/result).</summary>
internal sealed record CommandResultPayload(CommandState Status, string? Detail);

/// <summary>Reads uplink payloads: UTF-8 JSON objects, with errors that name the field.</summary>
internal static class UplinkPayload
{
    public static readonly IReadOnlyList<CommandState> CommandStatuses = [CommandState.Succeeded, CommandState.Failed, CommandState.Rejected];

    public const int MaxDetailLength = 1024;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    public readonly record struct ReportParse(DeviceReport? Report, long? Seq, string? Error, ImmutableArray<string> UnknownFields);

    /// <summary>
    /// Reads <c>{"seq": n, "boot": b?, "ts": "ISO-8601"?, field: value, …}</c>. Fields the kind does
    /// not have are left out and listed (the twin never sees them); a known field with a value
    /// that is not a plain JSON value is an error. Ranges and types are the twin's to judge.
    /// </summary>
    public static ReportParse ParseReport(ReadOnlySequence<byte> payload, DeviceKind kind, ReportTopic topic)
    {
        if (!TryParse(payload, out var document, out var error))
        {
            return new ReportParse(null, null, error, []);
        }

        using (document)
        {
            var root = document!.RootElement;
            long? seq = root.TryGetProperty(TwinSchema.Seq, out var seqElement) && seqElement.TryGetInt64(out var s) && s >= 0 ? s : null;
            if (seq is null)
            {
                return Fail(seqElement.ValueKind == JsonValueKind.Undefined
                    ? $"'{TwinSchema.Seq}' is required: a whole number of at least 0 that grows with every message"
                    : $"'{TwinSchema.Seq}' must be a whole number of at least 0");
            }

            long boot = 0;
            DateTimeOffset? timestamp = null;
            var values = ImmutableDictionary.CreateBuilder<string, TwinValue>(StringComparer.Ordinal);
            var unknown = ImmutableArray.CreateBuilder<string>();
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case TwinSchema.Seq:
                        continue;
                    case TwinSchema.Boot:
                        if (!property.Value.TryGetInt64(out boot) || boot < 0)
                        {
                            return Fail($"'{TwinSchema.Boot}' must be a whole number of at least 0");
                        }

                        continue;
                    case TwinSchema.Ts:
                        if (ReadTimestamp(property.Value) is not { } ts)
                        {
                            return Fail($"'{TwinSchema.Ts}' must be an ISO-8601 timestamp such as 2026-11-25T17:00:00Z");
                        }

                        timestamp = ts;
                        continue;
                }

                if (TwinSchema.Find(kind, property.Name) is null)
                {
                    unknown.Add(property.Name);
                    continue;
                }

                if (TwinValue.FromJson(property.Value, out var valueError) is not { } value)
                {
                    return Fail($"'{property.Name}' {valueError}");
                }

                values[property.Name] = value;
            }

            var report = new DeviceReport { Topic = topic, Seq = seq.Value, Boot = boot, Timestamp = timestamp, Values = values.ToImmutable() };
            return new ReportParse(report, seq, null, unknown.ToImmutable());

            ReportParse Fail(string message) => new(null, seq, message, []);
        }
    }

    /// <summary>Reads <c>{"status": "succeeded|failed|rejected", "detail": "…"?}</c>.</summary>
    public static (CommandResultPayload? Result, string? Error) ParseCommandResult(ReadOnlySequence<byte> payload)
    {
        if (!TryParse(payload, out var document, out var error))
        {
            return (null, error);
        }

        using (document)
        {
            var root = document!.RootElement;
            var named = root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String ? status.GetString() : null;
            var matches = CommandStatuses.Where(state => state.ToWire() == named).ToList();
            if (matches is not [var known])
            {
                return (null, "'status' must be one of " + string.Join("|", CommandStatuses.Select(state => state.ToWire())));
            }

            string? detail = null;
            if (root.TryGetProperty("detail", out var detailElement) && detailElement.ValueKind != JsonValueKind.Null)
            {
                if (detailElement.ValueKind != JsonValueKind.String || detailElement.GetString()!.Length > MaxDetailLength)
                {
                    return (null, $"'detail' must be a string of at most {MaxDetailLength} characters");
                }

                detail = detailElement.GetString();
            }

            return (new CommandResultPayload(known, detail), null);
        }
    }

    private static bool TryParse(ReadOnlySequence<byte> payload, out JsonDocument? document, out string? error)
    {
        document = null;
        try
        {
            document = JsonDocument.Parse(payload, Options);
        }
        catch (JsonException)
        {
            error = "the payload is not valid UTF-8 JSON";
            return false;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null;
            error = "the payload must be a JSON object";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>An ISO-8601 date and time; one without an offset is taken as UTC.</summary>
    private static DateTimeOffset? ReadTimestamp(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String || !element.TryGetDateTimeOffset(out _))
        {
            return null;
        }

        return DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value : null;
    }
}
