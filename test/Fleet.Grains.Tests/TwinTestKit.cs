using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Tests;

/// <summary>Builders shared by the twin tests.</summary>
internal static class TwinTestKit
{
    private static int _next;

    public static string NewId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next):D6}-{Guid.NewGuid():N}"[..40];

    public static DeviceMetadata Metadata(DeviceKind kind) => new()
    {
        Borough = "Mitte",
        Lat = 51.4344,
        Lon = 6.7623,
        Model = "test",
        RatedWatts = kind == DeviceKind.Lamp ? 100 : null,
        Medium = kind == DeviceKind.Meter ? MeterMedia.Water : null,
    };

    public static async Task<IDeviceTwinGrain> ProvisionAsync(IGrainFactory grains, DeviceKind kind, DeviceMetadata? metadata = null)
    {
        var grain = grains.GetTwin(kind, NewId(kind.ToWire()));
        var result = await grain.Provision(metadata ?? Metadata(kind));
        Assert.Equal(TwinOutcome.Ok, result.Outcome);
        return grain;
    }

    public static DeviceReport Report(long seq, DateTimeOffset? ts, params (string Name, object Value)[] values) => new()
    {
        Topic = ReportTopic.Telemetry,
        Seq = seq,
        Timestamp = ts,
        Values = values.ToImmutableDictionary(v => v.Name, v => Value(v.Value)),
    };

    public static TwinValue Value(object value) => value switch
    {
        bool b => TwinValue.Of(b),
        string s => TwinValue.Of(s),
        string[] list => TwinValue.Of(list),
        IConvertible n => TwinValue.Of(n.ToDouble(System.Globalization.CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException("unsupported", nameof(value)),
    };

    public static IDeviceEndpointGrain Endpoint(this IDeviceTwinGrain grain) => (IDeviceEndpointGrain)grain;

    public static async Task<ReportResult> SendAsync(this IDeviceTwinGrain grain, DeviceReport report) =>
        await grain.Endpoint().Report(report);

    public static double Number(this TwinDocument twin, string field) => twin.Reported[field].Number;

    public static DesiredPatch Patch(long? expectedVersion, params (string Name, object? Value)[] changes) => new()
    {
        ExpectedVersion = expectedVersion,
        Changes = changes.ToImmutableDictionary(c => c.Name, c => c.Value is null ? null : Value(c.Value)),
    };
}
