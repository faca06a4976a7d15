using System.Text.Json;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Behaviour;

/// <summary>
/// An in-ground parking bay sensor. Occupancy is a two-state process whose stationary share follows
/// an hour-of-day curve for the kind of area the borough is (the centre fills in shopping hours,
/// residential streets at night, the steelworks' streets with the shifts). A parked car dims the
/// radio (rssi), the battery drains over years, the sensor sometimes loses the car (unknown).
/// </summary>
public sealed class ParkingModel : DeviceModel
{
    private const double GlitchesPerDay = 4.0 / 365;
    private const double GlitchRecoveriesPerDay = 48;
    private static readonly TimeSpan BatteryLife = TimeSpan.FromDays(5 * 365);

    private static readonly Dictionary<(ParkingArea, DayType), DailyProfile> Occupancy = new()
    {
        [(ParkingArea.Centre, DayType.Weekday)] = new(0.30, 0.25, 0.22, 0.20, 0.20, 0.25, 0.35, 0.55, 0.75, 0.85, 0.90, 0.92, 0.92, 0.90, 0.90, 0.88, 0.85, 0.80, 0.70, 0.60, 0.50, 0.45, 0.40, 0.35),
        [(ParkingArea.Centre, DayType.Saturday)] = new(0.35, 0.30, 0.25, 0.22, 0.20, 0.20, 0.25, 0.35, 0.50, 0.70, 0.88, 0.95, 0.95, 0.95, 0.92, 0.90, 0.85, 0.75, 0.65, 0.60, 0.55, 0.50, 0.45, 0.40),
        [(ParkingArea.Centre, DayType.Sunday)] = new(0.35, 0.30, 0.25, 0.22, 0.20, 0.20, 0.20, 0.22, 0.25, 0.30, 0.40, 0.50, 0.55, 0.55, 0.55, 0.50, 0.45, 0.40, 0.38, 0.36, 0.35, 0.35, 0.35, 0.35),
        [(ParkingArea.Residential, DayType.Weekday)] = new(0.90, 0.92, 0.92, 0.92, 0.90, 0.85, 0.70, 0.55, 0.45, 0.42, 0.42, 0.45, 0.48, 0.48, 0.48, 0.52, 0.60, 0.70, 0.78, 0.84, 0.87, 0.88, 0.89, 0.90),
        [(ParkingArea.Residential, DayType.Saturday)] = new(0.88, 0.90, 0.90, 0.90, 0.90, 0.88, 0.86, 0.84, 0.80, 0.72, 0.65, 0.60, 0.60, 0.62, 0.62, 0.64, 0.68, 0.72, 0.78, 0.82, 0.85, 0.86, 0.87, 0.88),
        [(ParkingArea.Residential, DayType.Sunday)] = new(0.88, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.88, 0.85, 0.80, 0.75, 0.72, 0.70, 0.70, 0.70, 0.72, 0.75, 0.80, 0.84, 0.86, 0.87, 0.88, 0.88, 0.88),
        [(ParkingArea.Industrial, DayType.Weekday)] = new(0.45, 0.45, 0.45, 0.45, 0.45, 0.60, 0.85, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.95, 0.95, 0.90, 0.88, 0.85, 0.82, 0.80, 0.80, 0.80, 0.65, 0.50),
        [(ParkingArea.Industrial, DayType.Saturday)] = new(0.40, 0.40, 0.40, 0.40, 0.40, 0.45, 0.60, 0.62, 0.62, 0.62, 0.62, 0.62, 0.62, 0.62, 0.60, 0.55, 0.55, 0.55, 0.55, 0.50, 0.50, 0.50, 0.45, 0.40),
        [(ParkingArea.Industrial, DayType.Sunday)] = new(0.40, 0.40, 0.40, 0.40, 0.40, 0.40, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.42, 0.40, 0.40),
    };

    private readonly double _rssiBase;
    private readonly TimeSpan _meanStay;
    private bool _occupied;
    private bool _glitch;
    private DateTimeOffset? _reservedUntil;

    public ParkingModel(DeviceCredentials device, ModelSettings settings, Random random, DateTimeOffset now)
        : base(device, settings, random, now)
    {
        Borough = device.Borough ?? PickBorough(StableHash.Fraction(Key, "borough"));
        Area = AreaOf(Borough);
        _meanStay = Area switch
        {
            ParkingArea.Centre => TimeSpan.FromMinutes(90),
            ParkingArea.Industrial => TimeSpan.FromHours(7),
            _ => TimeSpan.FromHours(5),
        };
        _rssiBase = -70 - (35 * StableHash.Fraction(Key, "rssi"));
        _occupied = Random.NextDouble() < OccupancyAt(now);
        _glitch = InitialFault(GlitchesPerDay, GlitchRecoveriesPerDay);
        State = CurrentState();
        ObservedAt = now - (_meanStay * Random.NextDouble());
        Measure(now);
    }

    public override string Firmware => "SENSIT-3.9.2";

    public string Borough { get; }

    public ParkingArea Area { get; }

    /// <summary>free, occupied, closed or unknown.</summary>
    public string State { get; private set; }

    /// <summary>When the sensor saw <see cref="State"/> begin.</summary>
    public DateTimeOffset ObservedAt { get; private set; }

    public bool Reserved { get; private set; }

    public bool Closed { get; private set; }

    public double BatteryPct { get; private set; }

    public double Rssi { get; private set; }

    /// <summary>The share of bays of this area expected to be occupied at <paramref name="at"/>.</summary>
    public double OccupancyAt(DateTimeOffset at) =>
        Occupancy[(Area, Duisburg.DayTypeOf(at))].At(Duisburg.LocalHour(at));

    public static ParkingArea AreaOf(string borough) => borough.ToUpperInvariant() switch
    {
        "MITTE" => ParkingArea.Centre,
        "HAMBORN" or "MEIDERICH/BEECK" => ParkingArea.Industrial,
        _ => ParkingArea.Residential,
    };

    public override void WriteTelemetry(Utf8JsonWriter writer)
    {
        writer.WriteString("state", State);
        writer.WriteString("observedAt", JsonArgs.FormatTime(ObservedAt));
        writer.WriteNumber("batteryPct", Math.Round(BatteryPct));
        writer.WriteNumber("rssi", Math.Round(Rssi));
        writer.WriteBoolean("reserved", Reserved);
        writer.WriteBoolean("closed", Closed);
    }

    public override void WriteReported(Utf8JsonWriter writer)
    {
        writer.WriteBoolean("reserved", Reserved);
        writer.WriteBoolean("closed", Closed);
        writer.WriteString("firmware", Firmware);
    }

    public override CommandPlan Plan(DeviceCommand command, DateTimeOffset now)
    {
        switch (command.Name)
        {
            case "reserve":
                var until = command.Time("until");
                if (until is null || until <= now)
                {
                    return CommandPlan.Reject("args.until must be an ISO-8601 time in the future");
                }

                return Closed
                    ? CommandPlan.Reject("the bay is closed")
                    : CommandPlan.Do(() =>
                    {
                        Reserve(until, now);
                        return "reserved until " + JsonArgs.FormatTime(until.Value);
                    });
            case "release":
                return CommandPlan.Do(() =>
                {
                    var was = Reserved;
                    Reserve(null, now, reserved: false);
                    return was ? "released" : "was not reserved";
                });
            case "close":
                return CommandPlan.Do(() =>
                {
                    SetClosed(true, now);
                    return "closed";
                });
            case "open":
                return CommandPlan.Do(() =>
                {
                    SetClosed(false, now);
                    return "opened";
                });
            default:
                return CommandPlan.Unknown(Kind, command.Name, "reserve, release, close and open");
        }
    }

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        if (Reserved && _reservedUntil is { } until && now >= until)
        {
            Reserved = false;
            _reservedUntil = null;
        }

        _glitch = StepFault(_glitch, GlitchesPerDay, GlitchRecoveriesPerDay, elapsed);
        if (!Closed)
        {
            // Stationary share p with departures at 1/stay gives arrivals at p/(1-p)/stay.
            var p = Math.Clamp(OccupancyAt(now), 0.02, 0.97);
            var departuresPerDay = 1 / _meanStay.TotalDays;
            var arrivalsPerDay = departuresPerDay * p / (1 - p);
            if (_occupied ? Happens(departuresPerDay, elapsed) : !Reserved && Happens(arrivalsPerDay, elapsed))
            {
                _occupied = !_occupied;
            }
        }

        var state = CurrentState();
        if (state != State)
        {
            // The change happened somewhere within the step, not at the moment we look.
            var at = now - (elapsed * Random.NextDouble());
            ObservedAt = at > ObservedAt ? at : now;
            State = state;
        }

        Measure(now);
    }

    protected override string? ApplyDesiredField(string name, JsonElement value, DateTimeOffset now)
    {
        switch (name)
        {
            case "reserved" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                if (value.GetBoolean() && Closed)
                {
                    return "the bay is closed";
                }

                Reserve(null, now, value.GetBoolean());
                return string.Empty;
            case "closed" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                SetClosed(value.GetBoolean(), now);
                return string.Empty;
            case "reserved" or "closed":
                return "not true or false";
            default:
                return null;
        }
    }

    private static string PickBorough(double roll)
    {
        foreach (var (name, share) in Duisburg.Boroughs)
        {
            if (roll < share)
            {
                return name;
            }

            roll -= share;
        }

        return Duisburg.Boroughs[^1].Name;
    }

    private void Reserve(DateTimeOffset? until, DateTimeOffset now, bool reserved = true)
    {
        Reserved = reserved;
        _reservedUntil = reserved ? until : null;
        Refresh(now);
    }

    private void SetClosed(bool closed, DateTimeOffset now)
    {
        Closed = closed;
        if (closed)
        {
            Reserved = false;
            _reservedUntil = null;
        }

        Refresh(now);
    }

    private void Refresh(DateTimeOffset now)
    {
        var state = CurrentState();
        if (state != State)
        {
            State = state;
            ObservedAt = now;
        }
    }

    private string CurrentState() => Closed ? "closed" : _glitch ? "unknown" : _occupied ? "occupied" : "free";

    private void Measure(DateTimeOffset now)
    {
        BatteryPct = SawtoothBattery(now, BatteryLife);
        var carShadow = _occupied ? -6 : 0;
        Rssi = Math.Clamp(_rssiBase + carShadow + (1.5 * Gaussian()), -150, 0);
    }
}

/// <summary>What a street is used for, which sets its parking rhythm.</summary>
public enum ParkingArea
{
    Residential,
    Centre,
    Industrial,
}
