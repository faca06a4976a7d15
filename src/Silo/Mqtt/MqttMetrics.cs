using System.Diagnostics.Metrics;

namespace Fleet.Silo.Mqtt;

/// <summary>The gateway's OpenTelemetry instruments (meter "Fleet.Mqtt").</summary>
internal sealed class MqttMetrics
{
    public const string MeterName = "Fleet.Mqtt";

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _messagesOut;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _notices;
    private readonly Histogram<double> _routing;

    public MqttMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("fleet.mqtt.connections", "{connection}", "Open device connections on this silo.");
        _refused = meter.CreateCounter<long>("fleet.mqtt.connections.refused", "{connection}", "Connections refused, by reason.");
        _messagesIn = meter.CreateCounter<long>("fleet.mqtt.messages.in", "{message}", "Uplink messages received, by channel.");
        _messagesOut = meter.CreateCounter<long>("fleet.mqtt.messages.out", "{message}", "Downlink messages queued to devices, by channel.");
        _rejected = meter.CreateCounter<long>("fleet.mqtt.messages.rejected", "{message}", "Uplink messages rejected, by reason.");
        _notices = meter.CreateCounter<long>("fleet.mqtt.messages.noticed", "{message}", "Uplink messages acknowledged with a notice on the errors topic (stale seq, ignored fields), by reason.");
        _routing = meter.CreateHistogram<double>(
            "fleet.mqtt.routing.duration",
            "s",
            "From receiving an uplink message to the twin's answer (the PUBACK follows it).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
    }

    public void Connected() => _connections.Add(1);

    public void Disconnected() => _connections.Add(-1);

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void In(string channel) => _messagesIn.Add(1, new KeyValuePair<string, object?>("channel", channel));

    public void Out(string channel) => _messagesOut.Add(1, new KeyValuePair<string, object?>("channel", channel));

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Noticed(string reason) => _notices.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Routed(TimeSpan elapsed, string channel) => _routing.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("channel", channel));
}
