using System.Buffers.Text;
using System.Text.Json;
using Fleet.Queries;

namespace Fleet.Silo.Index;

/// <summary>
/// Where a page of devices ended: the sort and the sort key of its last device, as base64url JSON.
/// Opaque to clients; keyset paging, so a page costs the same however deep it is.
/// </summary>
internal sealed record DeviceCursor(DeviceSort Sort, string Id, string Kind, string? Borough = null, long? LastSeenMicros = null)
{
    public string Encode()
    {
        object?[] key = Sort switch
        {
            DeviceSort.LastSeenDescending => [Sort.ToWire(), LastSeenMicros, Id, Kind],
            DeviceSort.Borough => [Sort.ToWire(), Borough, Id, Kind],
            _ => [Sort.ToWire(), Id, Kind],
        };
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(key));
    }

    /// <summary>The cursor, or null when the text is not one Fleet wrote for this sort.</summary>
    public static DeviceCursor? Decode(string text, DeviceSort sort)
    {
        try
        {
            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(text));
            var parts = document.RootElement;
            if (parts.ValueKind != JsonValueKind.Array || parts.GetArrayLength() == 0
                || !DeviceSorts.TryParse(parts[0].GetString(), out var written) || written != sort)
            {
                return null;
            }

            var cursor = sort switch
            {
                DeviceSort.LastSeenDescending when parts.GetArrayLength() == 4 =>
                    new DeviceCursor(sort, parts[2].GetString()!, parts[3].GetString()!, LastSeenMicros: parts[1].GetInt64()),
                DeviceSort.Borough when parts.GetArrayLength() == 4 =>
                    new DeviceCursor(sort, parts[2].GetString()!, parts[3].GetString()!, Borough: parts[1].GetString()),
                DeviceSort.Id when parts.GetArrayLength() == 3 =>
                    new DeviceCursor(sort, parts[1].GetString()!, parts[2].GetString()!),
                _ => null,
            };

            // A null where a key belongs, or a time outside what a DateTimeOffset holds, is not Fleet's.
            if (cursor is null || cursor.Id is null || cursor.Kind is null || (sort == DeviceSort.Borough && cursor.Borough is null))
            {
                return null;
            }

            _ = cursor.LastSeenMicros is { } micros ? FromMicros(micros) : default;
            return cursor;
        }
        catch (Exception exception) when (exception is FormatException or JsonException or InvalidOperationException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    public static long ToMicros(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicros(long micros) => new(checked(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10)), TimeSpan.Zero);
}
