using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Fleet.Devices;
using Fleet.Silo.Mqtt;
using Fleet.Twins;

namespace Fleet.Benchmarks;

/// <summary>What the MQTT gateway does with every uplink before a grain sees it: JSON → DeviceReport.</summary>
[MemoryDiagnoser]
public class PayloadParsingBenchmarks
{
    private ReadOnlySequence<byte> _lamp;
    private ReadOnlySequence<byte> _meter;

    [GlobalSetup]
    public void Setup()
    {
        _lamp = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(
            """{"seq":4711,"boot":1764000000,"ts":"2026-11-25T20:00:00.000Z","on":true,"level":80,"powerW":47.6,"energyWh":123456.7}"""));
        _meter = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(
            """{"seq":4711,"boot":1764000000,"ts":"2026-11-25T20:00:00.000Z","register":1234.567,"leak":false,"tamper":false,"backflow":false,"batteryPct":91.5}"""));
    }

    [Benchmark(Baseline = true)]
    public DeviceReport? LampTelemetry() => UplinkPayload.ParseReport(_lamp, DeviceKind.Lamp, ReportTopic.Telemetry).Report;

    [Benchmark]
    public DeviceReport? MeterTelemetry() => UplinkPayload.ParseReport(_meter, DeviceKind.Meter, ReportTopic.Telemetry).Report;
}
