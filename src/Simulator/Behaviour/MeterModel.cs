using System.Globalization;
using System.Text.Json;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Behaviour;

/// <summary>
/// A utility meter (water, electricity, gas or heat). The register counts up with a household
/// daily load curve (morning and evening peaks, a quiet night) and the season; a leak adds a steady
/// flow that shows at night; tamper and backflow alarms come and go. Water and gas meters have a
/// valve: closed, nothing flows. Battery-powered unless electricity.
/// </summary>
public sealed class MeterModel : DeviceModel
{
    public const int MinIntervalS = 60;
    public const int MaxIntervalS = 86_400;
    private const double LeaksPerDay = 1.0 / 365;
    private const double LeakRepairsPerDay = 0.5;
    private const double TampersPerDay = 0.2 / 365;
    private const double TamperClearsPerDay = 24;
    private const double BackflowsPerDay = 0.5 / 365;
    private const double BackflowClearsPerDay = 96;
    private const double MaxNoise = 1.25;
    private static readonly TimeSpan BatteryLife = TimeSpan.FromDays(10 * 365);
    private static readonly TimeSpan MaxIntegrationStep = TimeSpan.FromMinutes(15);

    private static readonly DailyProfile Household = new(0.35, 0.25, 0.20, 0.20, 0.25, 0.45, 1.40, 2.00, 1.60, 1.10, 0.90, 0.95, 1.10, 1.00, 0.85, 0.80, 0.90, 1.20, 1.70, 1.90, 1.70, 1.40, 1.00, 0.60);

    private readonly double _dailyMean;
    private readonly double _leakPerHour;
    private readonly double _maxPerHour;

    public MeterModel(DeviceCredentials device, ModelSettings settings, Random random, DateTimeOffset now)
        : base(device, settings, random, now)
    {
        Medium = device.Medium is "water" or "electricity" or "gas" or "heat" ? device.Medium : "water";
        var (dailyMean, leakPerHour) = Medium switch
        {
            "electricity" => (8.0, 0.0),
            "gas" => (4.0, 0.05),
            "heat" => (30.0, 0.5),
            _ => (0.35, 0.012),
        };

        // Households differ: a flat uses half, a bakery twice the typical amount.
        _dailyMean = dailyMean * (0.5 + (1.5 * StableHash.Fraction(Key, "household")));
        _leakPerHour = leakPerHour;
        _maxPerHour = (_dailyMean / 24 * Household.Max / Household.Mean * MaxSeason * MaxNoise) + _leakPerHour;
        Register = CounterStart(100 + (1900 * StableHash.Fraction(Key, "register")), _maxPerHour, now);
        Leak = CanLeak && InitialFault(LeaksPerDay, LeakRepairsPerDay);
        Tamper = InitialFault(TampersPerDay, TamperClearsPerDay);
        Backflow = CanBackflow && InitialFault(BackflowsPerDay, BackflowClearsPerDay);
        BatteryPct = SawtoothBattery(now, BatteryLife);
    }

    public override string Firmware => "MTR-2.7.0";

    /// <summary>water (m³), electricity (kWh), gas (m³) or heat (kWh).</summary>
    public string Medium { get; }

    public double Register { get; private set; }

    public bool Leak { get; private set; }

    public bool Tamper { get; private set; }

    public bool Backflow { get; private set; }

    public bool ValveOpen { get; private set; } = true;

    public int ReportingIntervalS { get; private set; } = 900;

    public double BatteryPct { get; private set; }

    public bool HasValve => Medium is "water" or "gas";

    public bool HasBattery => Medium != "electricity";

    private bool CanLeak => _leakPerHour > 0;

    private bool CanBackflow => Medium == "water";

    private double MaxSeason => Medium is "gas" or "heat" ? 1.8 : 1.15;

    public override void WriteTelemetry(Utf8JsonWriter writer)
    {
        writer.WriteNumber("register", Math.Round(Register, 3));
        writer.WriteBoolean("leak", Leak);
        writer.WriteBoolean("tamper", Tamper);
        writer.WriteBoolean("backflow", Backflow);
        if (HasBattery)
        {
            writer.WriteNumber("batteryPct", Math.Round(BatteryPct));
        }

        if (HasValve)
        {
            writer.WriteBoolean("valveOpen", ValveOpen);
        }
    }

    public override void WriteReported(Utf8JsonWriter writer)
    {
        if (HasValve)
        {
            writer.WriteBoolean("valveOpen", ValveOpen);
        }

        writer.WriteNumber("reportingIntervalS", ReportingIntervalS);
        writer.WriteString("firmware", Firmware);
    }

    public override CommandPlan Plan(DeviceCommand command, DateTimeOffset now)
    {
        switch (command.Name)
        {
            case "readNow":
                return CommandPlan.Do(() => string.Create(CultureInfo.InvariantCulture, $"register {Register:0.###}"), CommandEffect.ReportTelemetry);
            case "valve":
                if (!HasValve)
                {
                    return CommandPlan.Reject($"this {Medium} meter has no valve");
                }

                return command.Bool("open") is { } open
                    ? CommandPlan.Do(() =>
                    {
                        ValveOpen = open;
                        return open ? "valve opened" : "valve closed";
                    })
                    : CommandPlan.Reject("args.open must be true or false");
            case "setInterval":
                return command.Number("seconds") is { } seconds && seconds == Math.Floor(seconds) && seconds is >= MinIntervalS and <= MaxIntervalS
                    ? CommandPlan.Do(() =>
                    {
                        ReportingIntervalS = (int)seconds;
                        return string.Create(CultureInfo.InvariantCulture, $"reporting every {ReportingIntervalS} s");
                    })
                    : CommandPlan.Reject($"args.seconds must be a whole number from {MinIntervalS} to {MaxIntervalS}");
            default:
                return CommandPlan.Unknown(Kind, command.Name, "readNow, valve and setInterval");
        }
    }

    /// <summary>Flow per hour at <paramref name="at"/> without noise, leak or valve (for tests and curves).</summary>
    public double TypicalPerHour(DateTimeOffset at) =>
        _dailyMean / 24 * Household.At(Duisburg.LocalHour(at)) / Household.Mean * Season(at);

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        Leak = CanLeak && StepFault(Leak, LeaksPerDay, LeakRepairsPerDay, elapsed);
        Tamper = StepFault(Tamper, TampersPerDay, TamperClearsPerDay, elapsed);
        Backflow = CanBackflow && StepFault(Backflow, BackflowsPerDay, BackflowClearsPerDay, elapsed);

        // Integrate the flow in short steps so a long telemetry interval still follows the curve.
        var from = now - elapsed;
        while (from < now)
        {
            var step = now - from < MaxIntegrationStep ? now - from : MaxIntegrationStep;
            var middle = from + (step / 2);
            var flow = TypicalPerHour(middle) * (0.8 + (0.45 * Random.NextDouble())) + (Leak ? _leakPerHour : 0);
            if (HasValve && !ValveOpen)
            {
                flow = 0;
            }

            // Never faster than the bound the counter started from: that keeps restarts monotonic.
            Register += Math.Min(flow, _maxPerHour) * step.TotalHours;
            from += step;
        }

        BatteryPct = SawtoothBattery(now, BatteryLife);
    }

    protected override string? ApplyDesiredField(string name, JsonElement value, DateTimeOffset now)
    {
        switch (name)
        {
            case "valveOpen":
                if (!HasValve)
                {
                    return $"this {Medium} meter has no valve";
                }

                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return "not true or false";
                }

                ValveOpen = value.GetBoolean();
                return string.Empty;
            case "reportingIntervalS":
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var seconds) || seconds is < MinIntervalS or > MaxIntervalS)
                {
                    return $"not a whole number from {MinIntervalS} to {MaxIntervalS}";
                }

                ReportingIntervalS = seconds;
                return string.Empty;
            default:
                return null;
        }
    }

    private double Season(DateTimeOffset at)
    {
        var day = Duisburg.LocalTime(at).DayOfYear;
        return Medium switch
        {
            // Heating peaks in mid-January, water use in mid-July.
            "gas" or "heat" => 1 + (0.8 * Math.Cos(2 * Math.PI * (day - 15) / 365.25)),
            "water" => 1 + (0.15 * Math.Cos(2 * Math.PI * (day - 196) / 365.25)),
            _ => 1 + (0.15 * Math.Cos(2 * Math.PI * (day - 15) / 365.25)),
        };
    }
}
