using System.Text.Json;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Behaviour;

/// <summary>
/// The physical side of one simulated device: its state, how that state evolves with the city's
/// time of day, how it applies desired state and commands, and what it reports. Not thread-safe:
/// <see cref="Engine.SimulatedDevice"/> serialises access.
/// </summary>
public abstract class DeviceModel
{
    /// <summary>
    /// Counters that only go up (a lamp's energy, a meter's register) start from a bound that grows
    /// with wall-clock time faster than the device can count, so a restarted simulator never reports
    /// a value below what an earlier run reported (see <see cref="CounterStart"/>).
    /// </summary>
    protected static readonly DateTimeOffset CounterEpoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private DateTimeOffset _lastAdvanced;

    protected DeviceModel(DeviceCredentials device, ModelSettings settings, Random random, DateTimeOffset now)
    {
        Device = device;
        Settings = settings;
        Random = random;
        _lastAdvanced = now;
    }

    public DeviceCredentials Device { get; }

    public string Kind => Device.Kind;

    public abstract string Firmware { get; }

    /// <summary>The time the state was last advanced to.</summary>
    public DateTimeOffset Now => _lastAdvanced;

    protected ModelSettings Settings { get; }

    protected Random Random { get; }

    /// <summary>The stable key of this device for <see cref="StableHash"/>.</summary>
    protected string Key => Device.UserName;

    public static DeviceModel Create(DeviceCredentials device, ModelSettings settings, Random random, DateTimeOffset now) => device.Kind switch
    {
        DeviceKinds.Lamp => new LampModel(device, settings, random, now),
        DeviceKinds.Parking => new ParkingModel(device, settings, random, now),
        DeviceKinds.Wifi => new WifiModel(device, settings, random, now),
        DeviceKinds.Meter => new MeterModel(device, settings, random, now),
        _ => throw new ArgumentException($"Unknown device kind '{device.Kind}'.", nameof(device)),
    };

    /// <summary>Moves the simulated state forward to <paramref name="now"/> (no-op when time has not advanced).</summary>
    public void Advance(DateTimeOffset now)
    {
        if (now <= _lastAdvanced)
        {
            return;
        }

        Step(now, now - _lastAdvanced);
        _lastAdvanced = now;
    }

    /// <summary>Writes the periodic measurement fields (telemetry topic).</summary>
    public abstract void WriteTelemetry(Utf8JsonWriter writer);

    /// <summary>Writes configuration and firmware (reported topic): what Fleet compares with desired.</summary>
    public abstract void WriteReported(Utf8JsonWriter writer);

    /// <summary>
    /// Applies the fields of a desired document this device knows. Unknown fields are ignored (a
    /// newer Fleet may know more than this firmware); values it cannot apply are listed as problems.
    /// </summary>
    public DesiredOutcome ApplyDesired(JsonElement desired, DateTimeOffset now)
    {
        Advance(now);
        var applied = new List<string>();
        var problems = new List<string>();
        if (desired.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in desired.EnumerateObject())
            {
                switch (ApplyDesiredField(field.Name, field.Value, now))
                {
                    case null:
                        break;
                    case "":
                        applied.Add(field.Name);
                        break;
                    case var problem:
                        problems.Add($"{field.Name}: {problem}");
                        break;
                }
            }
        }

        return new DesiredOutcome(applied, problems);
    }

    /// <summary>Checks a command against this kind's catalogue (issue 4).</summary>
    public abstract CommandPlan Plan(DeviceCommand command, DateTimeOffset now);

    /// <summary>The device comes back from a reboot (power cycle) at <paramref name="now"/>.</summary>
    public virtual void Restart(DateTimeOffset now) => Advance(now);

    protected abstract void Step(DateTimeOffset now, TimeSpan elapsed);

    /// <summary>Applies one desired field: null when the field is not this device's, "" when applied, else the problem.</summary>
    protected abstract string? ApplyDesiredField(string name, JsonElement value, DateTimeOffset now);

    /// <summary>True with the probability that an event of the given daily rate happens within <paramref name="elapsed"/>.</summary>
    protected bool Happens(double perDay, TimeSpan elapsed) =>
        perDay > 0 && Random.NextDouble() < 1 - Math.Exp(-perDay * elapsed.TotalDays);

    /// <summary>
    /// One step of a two-state fault: starts at <paramref name="onsetPerDay"/> × fault scale,
    /// clears at <paramref name="clearPerDay"/>.
    /// </summary>
    protected bool StepFault(bool active, double onsetPerDay, double clearPerDay, TimeSpan elapsed) =>
        active ? !Happens(clearPerDay, elapsed) : Happens(onsetPerDay * Settings.FaultScale, elapsed);

    /// <summary>Draws a fault's initial state from its steady state, so a fresh city already has a few.</summary>
    protected bool InitialFault(double onsetPerDay, double clearPerDay)
    {
        var onset = onsetPerDay * Settings.FaultScale;
        return onset > 0 && Random.NextDouble() < onset / (onset + clearPerDay);
    }

    /// <summary>A standard normal deviate (Box–Muller).</summary>
    protected double Gaussian() =>
        Math.Sqrt(-2 * Math.Log(1 - Random.NextDouble())) * Math.Cos(2 * Math.PI * Random.NextDouble());

    /// <summary>
    /// The starting value of a counter that grows at most <paramref name="maxPerHour"/>: a fixed
    /// per-device base plus that maximum rate since <see cref="CounterEpoch"/>.
    /// </summary>
    protected static double CounterStart(double baseValue, double maxPerHour, DateTimeOffset now) =>
        baseValue + (maxPerHour * Math.Max(0, (now - CounterEpoch).TotalHours));

    /// <summary>A battery that drains linearly over <paramref name="life"/> and is replaced at 12 %.</summary>
    protected double SawtoothBattery(DateTimeOffset now, TimeSpan life)
    {
        var cycles = ((now - CounterEpoch) / life) + StableHash.Fraction(Key, "battery");
        return 100 - (88 * (cycles - Math.Floor(cycles)));
    }
}

/// <summary>What a desired document did: fields applied, and values the device could not apply.</summary>
public sealed record DesiredOutcome(IReadOnlyList<string> Applied, IReadOnlyList<string> Problems);

/// <summary>Behaviour knobs shared by all models.</summary>
public sealed record ModelSettings
{
    /// <summary>Multiplies every fault's onset rate: 0 = no faults, 1 = a lively city, 100 = a demo of disasters.</summary>
    public double FaultScale { get; init; } = 1;
}
