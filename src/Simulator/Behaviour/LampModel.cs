using System.Globalization;
using System.Text.Json;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Behaviour;

/// <summary>
/// A street lamp with a smart controller. Until Fleet sets <c>on</c>/<c>level</c> it runs its local
/// default: a photocell (on from dusk to dawn) and night dimming to 50 % from 22:00 to 05:00. It draws
/// ≈ rated × level, counts energy, and occasionally fails: lit but drawing only the controller's
/// fraction of a watt, until a crew repairs it.
/// </summary>
public sealed class LampModel : DeviceModel
{
    public const double DefaultRatedWatts = 60;
    private const double StandbyWatts = 0.4;
    private const double MaxNoise = 0.04;
    private const double FailuresPerDay = 0.5 / 365;
    private const double RepairsPerDay = 0.5;

    private bool? _onOverride;
    private double? _levelOverride;

    public LampModel(DeviceCredentials device, ModelSettings settings, Random random, DateTimeOffset now)
        : base(device, settings, random, now)
    {
        RatedWatts = device.RatedWatts ?? DefaultRatedWatts;
        EnergyWh = CounterStart(StableHash.Fraction(Key, "energy") * 50_000, MaxWatts, now);
        Failed = InitialFault(FailuresPerDay, RepairsPerDay);
        Update(now);
    }

    public override string Firmware => "LC-4.2.1";

    public double RatedWatts { get; }

    public bool On { get; private set; }

    public double Level { get; private set; }

    public double PowerW { get; private set; }

    public double EnergyWh { get; private set; }

    /// <summary>The lamp is broken: lit but dark.</summary>
    public bool Failed { get; private set; }

    public DateTimeOffset BlinkingUntil { get; private set; }

    private double MaxWatts => Math.Max(RatedWatts * (1 + MaxNoise), 1);

    public override void WriteTelemetry(Utf8JsonWriter writer)
    {
        writer.WriteBoolean("on", On);
        writer.WriteNumber("level", Math.Round(Level, 1));
        writer.WriteNumber("powerW", Math.Round(PowerW, 1));
        writer.WriteNumber("energyWh", Math.Round(EnergyWh, 2));
    }

    public override void WriteReported(Utf8JsonWriter writer)
    {
        writer.WriteBoolean("on", On);
        writer.WriteNumber("level", Math.Round(Level, 1));
        writer.WriteString("firmware", Firmware);
    }

    public override CommandPlan Plan(DeviceCommand command, DateTimeOffset now)
    {
        switch (command.Name)
        {
            case "switch":
                return command.Bool("on") is { } on
                    ? CommandPlan.Do(() =>
                    {
                        _onOverride = on;
                        Update(now);
                        return on ? "switched on" : "switched off";
                    })
                    : CommandPlan.Reject("args.on must be true or false");
            case "dim":
                return command.Number("level") is { } level and >= 0 and <= 100
                    ? CommandPlan.Do(() =>
                    {
                        _levelOverride = level;
                        Update(now);
                        return string.Create(CultureInfo.InvariantCulture, $"dimmed to {level:0.#} %");
                    })
                    : CommandPlan.Reject("args.level must be a number from 0 to 100");
            case "blink":
                return command.Number("seconds") is { } seconds and >= 1 and <= 3600
                    ? CommandPlan.Do(
                        () =>
                        {
                            BlinkingUntil = now + TimeSpan.FromSeconds(seconds);
                            return string.Create(CultureInfo.InvariantCulture, $"blinking for {seconds:0} s");
                        },
                        CommandEffect.None)
                    : CommandPlan.Reject("args.seconds must be a number from 1 to 3600");
            default:
                return CommandPlan.Unknown(Kind, command.Name, "switch, dim and blink");
        }
    }

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        // The power drawn since the last step; never above MaxWatts, which keeps CounterStart a bound.
        EnergyWh += PowerW * elapsed.TotalHours;
        Failed = StepFault(Failed, FailuresPerDay, RepairsPerDay, elapsed);
        Update(now);
    }

    protected override string? ApplyDesiredField(string name, JsonElement value, DateTimeOffset now)
    {
        switch (name)
        {
            case "on":
                if (value.ValueKind == JsonValueKind.Null)
                {
                    _onOverride = null;
                }
                else if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    _onOverride = value.GetBoolean();
                }
                else
                {
                    return "not true or false";
                }

                Update(now);
                return string.Empty;
            case "level":
                if (value.ValueKind == JsonValueKind.Null)
                {
                    _levelOverride = null;
                }
                else if (value.ValueKind == JsonValueKind.Number && value.GetDouble() is >= 0 and <= 100)
                {
                    _levelOverride = value.GetDouble();
                }
                else
                {
                    return "not a number from 0 to 100";
                }

                Update(now);
                return string.Empty;
            default:
                return null;
        }
    }

    private static double NightLevel(DateTimeOffset now)
    {
        var hour = Duisburg.LocalHour(now);
        return hour is >= 22 or < 5 ? 50 : 100;
    }

    private void Update(DateTimeOffset now)
    {
        On = _onOverride ?? Duisburg.IsDark(now);
        Level = _levelOverride ?? NightLevel(now);
        var lit = On && Level > 0;
        if (!lit)
        {
            PowerW = StandbyWatts + (0.1 * Random.NextDouble());
        }
        else if (Failed)
        {
            // The controller still runs; the LEDs or the driver do not.
            PowerW = 0.2 + (0.8 * Random.NextDouble());
        }
        else
        {
            var noise = Math.Clamp(Gaussian() * 0.015, -MaxNoise, MaxNoise);
            PowerW = Math.Max(StandbyWatts, RatedWatts * Level / 100 * (1 + noise));
        }

        PowerW = Math.Min(PowerW, MaxWatts);
    }
}
