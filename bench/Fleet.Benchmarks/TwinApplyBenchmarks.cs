using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Fleet.Devices;
using Fleet.Grains.Twins;
using Fleet.Twins;

namespace Fleet.Benchmarks;

/// <summary>
/// What a twin grain does with a report inside its turn: validation, idempotency (seq), rules,
/// fault transitions, history. Each call carries the next sequence number, so every one applies.
/// </summary>
[MemoryDiagnoser]
public class TwinApplyBenchmarks
{
    private readonly DateTimeOffset _now = new(2026, 11, 25, 20, 0, 0, TimeSpan.Zero);
    private TwinEngine _lampEngine = null!;
    private TwinEngine _meterEngine = null!;
    private TwinState _lamp = null!;
    private TwinState _meter = null!;
    private ImmutableDictionary<string, TwinValue> _lampValues = null!;
    private ImmutableDictionary<string, TwinValue> _meterValues = null!;
    private long _seq;

    [GlobalSetup]
    public void Setup()
    {
        var options = new TwinOptions();
        _lampEngine = new TwinEngine(LampRules.Instance, options);
        _meterEngine = new TwinEngine(MeterRules.Instance, options);
        _lamp = Provisioned(new DeviceMetadata { Borough = Boroughs.Mitte, Lat = 51.43, Lon = 6.76, RatedWatts = 60 });
        _meter = Provisioned(new DeviceMetadata { Borough = Boroughs.Mitte, Lat = 51.43, Lon = 6.76, Medium = MeterMedia.Water });
        _lampValues = ImmutableDictionary<string, TwinValue>.Empty.WithComparers(StringComparer.Ordinal)
            .Add("on", TwinValue.Of(true)).Add("level", TwinValue.Of(80.0)).Add("powerW", TwinValue.Of(47.6)).Add("energyWh", TwinValue.Of(123_456.7));
        _meterValues = ImmutableDictionary<string, TwinValue>.Empty.WithComparers(StringComparer.Ordinal)
            .Add("register", TwinValue.Of(1234.5)).Add("leak", TwinValue.Of(false)).Add("tamper", TwinValue.Of(false)).Add("batteryPct", TwinValue.Of(91.5));
    }

    [Benchmark(Baseline = true)]
    public ReportOutcome LampTelemetry() => _lampEngine.Apply(_lamp, Report(_lampValues), _now).Result.Outcome;

    [Benchmark]
    public ReportOutcome MeterTelemetry() => _meterEngine.Apply(_meter, Report(_meterValues, _seq * 0.001), _now).Result.Outcome;

    [Benchmark]
    public TwinDocument LampToDocument() => _lampEngine.ToDocument(_lamp, "DU-L-000042");

    private DeviceReport Report(ImmutableDictionary<string, TwinValue> values, double registerStep = 0)
    {
        _seq++;
        if (registerStep > 0)
        {
            values = values.SetItem("register", TwinValue.Of(1234.5 + registerStep));
        }

        return new DeviceReport { Topic = ReportTopic.Telemetry, Seq = _seq, Boot = 1, Timestamp = _now, Values = values };
    }

    private static TwinState Provisioned(DeviceMetadata metadata) => new() { Provisioned = true, Metadata = metadata, SecretHash = new byte[32], Version = 1 };
}
