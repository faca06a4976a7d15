using System.Text.Json;
using Fleet.Simulator.Behaviour;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Tests;

/// <summary>The devices' physics, without MQTT: time is passed in, randomness is seeded.</summary>
public sealed class BehaviourTests
{
    private static readonly ModelSettings NoFaults = new() { FaultScale = 0 };

    // Monday 23 November 2026, 00:00 in Duisburg (CET, UTC+1).
    private static readonly DateTimeOffset MondayMidnight = new(2026, 11, 22, 23, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Kinds => [.. DeviceKinds.All];

    [Theory]
    [InlineData("2026-06-21", "03:17", "19:56")]
    [InlineData("2026-12-21", "07:36", "15:27")]
    [InlineData("2026-03-20", "05:36", "17:46")]
    public void KnowsWhenTheSunRisesAndSetsOverDuisburg(string date, string sunriseUtc, string sunsetUtc)
    {
        var (sunrise, sunset) = Duisburg.SunTimes(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture));

        AssertNear(DateTimeOffset.Parse($"{date}T{sunriseUtc}:00Z", System.Globalization.CultureInfo.InvariantCulture), sunrise, TimeSpan.FromMinutes(5));
        AssertNear(DateTimeOffset.Parse($"{date}T{sunsetUtc}:00Z", System.Globalization.CultureInfo.InvariantCulture), sunset, TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void ALampFollowsItsPhotocellAndNightDimmingUntilToldOtherwise()
    {
        var noon = new DateTimeOffset(2026, 6, 21, 10, 0, 0, TimeSpan.Zero);
        var evening = new DateTimeOffset(2026, 12, 21, 17, 0, 0, TimeSpan.Zero);
        var lateNight = new DateTimeOffset(2026, 12, 21, 23, 30, 0, TimeSpan.Zero);

        Assert.False(Lamp(noon).On);
        Assert.True(Lamp(evening).On);
        Assert.Equal(100, Lamp(evening).Level);
        Assert.Equal(50, Lamp(lateNight).Level);
    }

    [Fact]
    public void ALampDrawsItsRatedPowerTimesLevel()
    {
        var lamp = Lamp(MondayMidnight, ratedWatts: 90);
        lamp.ApplyDesired(Json("""{"on": true, "level": 50}"""), MondayMidnight);

        for (var minute = 1; minute <= 60; minute++)
        {
            lamp.Advance(MondayMidnight.AddMinutes(minute));
            Assert.InRange(lamp.PowerW, 45 * 0.96, 45 * 1.04);
        }

        lamp.ApplyDesired(Json("""{"on": false}"""), MondayMidnight.AddMinutes(61));
        Assert.InRange(lamp.PowerW, 0, 1);
    }

    [Fact]
    public void AFailedLampIsLitButDrawsAlmostNothing()
    {
        var lamp = (LampModel)DeviceModel.Create(new DeviceCredentials("lamp", "L-broken", "s"), new ModelSettings { FaultScale = 1e9 }, new Random(1), MondayMidnight);
        lamp.ApplyDesired(Json("""{"on": true, "level": 100}"""), MondayMidnight);

        Assert.True(lamp.Failed);
        Assert.True(lamp.On);
        Assert.InRange(lamp.PowerW, 0, 1.5);
    }

    [Fact]
    public void ALampsEnergyNeverGoesBackwardsAcrossASimulatorRestart()
    {
        var lamp = Lamp(MondayMidnight);
        lamp.ApplyDesired(Json("""{"on": true, "level": 100}"""), MondayMidnight);
        var end = MondayMidnight.AddDays(2);
        var previous = lamp.EnergyWh;
        for (var at = MondayMidnight; at <= end; at = at.AddMinutes(10))
        {
            lamp.Advance(at);
            Assert.True(lamp.EnergyWh >= previous);
            previous = lamp.EnergyWh;
        }

        Assert.True(previous > Lamp(MondayMidnight).EnergyWh + (60 * 40), "two days at full power should add about 2.9 kWh");
        Assert.True(Lamp(end).EnergyWh >= lamp.EnergyWh, "a restarted lamp must not report less energy");
    }

    [Theory]
    [InlineData("water")]
    [InlineData("gas")]
    [InlineData("heat")]
    [InlineData("electricity")]
    public void AMeterRegisterOnlyCountsUpEvenAcrossASimulatorRestart(string medium)
    {
        var device = new DeviceCredentials("meter", "DU-M-000123", "s") { Medium = medium };
        var leaky = new ModelSettings { FaultScale = 500 };
        var meter = (MeterModel)DeviceModel.Create(device, leaky, new Random(3), MondayMidnight);
        var end = MondayMidnight.AddDays(3);
        var previous = meter.Register;
        for (var at = MondayMidnight; at <= end; at = at.AddMinutes(5))
        {
            meter.Advance(at);
            Assert.True(meter.Register >= previous, $"register fell from {previous} to {meter.Register}");
            previous = meter.Register;
        }

        var restarted = (MeterModel)DeviceModel.Create(device, leaky, new Random(4), end);
        Assert.True(restarted.Register >= meter.Register, $"restart from {meter.Register} to {restarted.Register}");
    }

    [Fact]
    public void AMetersLoadCurveHasMorningAndEveningPeaksAndAQuietNight()
    {
        var meter = (MeterModel)DeviceModel.Create(new DeviceCredentials("meter", "M1", "s"), NoFaults, new Random(1), MondayMidnight);

        var night = meter.TypicalPerHour(MondayMidnight.AddHours(3));
        var morning = meter.TypicalPerHour(MondayMidnight.AddHours(7));
        var evening = meter.TypicalPerHour(MondayMidnight.AddHours(19));

        Assert.True(morning > 4 * night);
        Assert.True(evening > 4 * night);
    }

    [Fact]
    public void AClosedValveStopsTheRegister()
    {
        var meter = (MeterModel)DeviceModel.Create(new DeviceCredentials("meter", "M2", "s") { Medium = "water" }, NoFaults, new Random(1), MondayMidnight);
        meter.ApplyDesired(Json("""{"valveOpen": false}"""), MondayMidnight);
        var before = meter.Register;

        meter.Advance(MondayMidnight.AddHours(12));

        Assert.Equal(before, meter.Register);
        Assert.False(meter.ValveOpen);
    }

    [Fact]
    public void AnElectricityMeterHasNoValveToClose()
    {
        var meter = DeviceModel.Create(new DeviceCredentials("meter", "M3", "s") { Medium = "electricity" }, NoFaults, new Random(1), MondayMidnight);

        var plan = meter.Plan(Command("""{"name": "valve", "args": {"open": false}}"""), MondayMidnight);

        Assert.Contains("no valve", plan.Rejection, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mitte", 3, 12, 0.4)]
    [InlineData("Walsum", 12, 3, 0.2)]
    [InlineData("Hamborn", 3, 10, 0.2)]
    public void ParkingBaysFillWithTheirBoroughsDailyRhythm(string borough, int quietHour, int busyHour, double margin)
    {
        var bays = Enumerable.Range(1, 300)
            .Select(i => (ParkingModel)DeviceModel.Create(new DeviceCredentials("parking", $"P{i}", "s") { Borough = borough }, NoFaults, new Random(i), MondayMidnight))
            .ToList();
        var shares = new Dictionary<int, double>();
        for (var minutes = 0; minutes <= 24 * 60; minutes += 5)
        {
            var at = MondayMidnight.AddMinutes(minutes);
            bays.ForEach(bay => bay.Advance(at));
            if (minutes % 60 == 0)
            {
                shares[minutes / 60] = bays.Count(bay => bay.State == "occupied") / (double)bays.Count;
            }
        }

        Assert.True(shares[busyHour] > shares[quietHour] + margin, $"{borough}: {busyHour}h {shares[busyHour]:P0} vs {quietHour}h {shares[quietHour]:P0}");
    }

    [Fact]
    public void AParkingBayCannotBeReservedWhenClosedOrInThePast()
    {
        var bay = DeviceModel.Create(new DeviceCredentials("parking", "P1", "s"), NoFaults, new Random(1), MondayMidnight);

        Assert.NotNull(bay.Plan(Command("""{"name": "reserve", "args": {"until": "2001-01-01T00:00:00Z"}}"""), MondayMidnight).Rejection);
        bay.Plan(Command("""{"name": "close"}"""), MondayMidnight).Apply();
        Assert.Equal("the bay is closed", bay.Plan(Command("""{"name": "reserve", "args": {"until": "2099-01-01T00:00:00Z"}}"""), MondayMidnight).Rejection);
        Assert.Equal("closed", ((ParkingModel)bay).State);
    }

    [Fact]
    public void AccessPointsAreBusyInTheAfternoonAndQuietAtNight()
    {
        var saturday = MondayMidnight.AddDays(5);
        var aps = Enumerable.Range(1, 50)
            .Select(i => (WifiModel)DeviceModel.Create(new DeviceCredentials("wifi", $"W{i}", "s"), NoFaults, new Random(i), saturday))
            .ToList();

        aps.ForEach(ap => ap.Advance(saturday.AddHours(4)));
        var night = aps.Sum(ap => ap.Clients);
        aps.ForEach(ap => ap.Advance(saturday.AddHours(14)));
        var afternoon = aps.Sum(ap => ap.Clients);

        Assert.True(afternoon > 10 * night, $"afternoon {afternoon}, night {night}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ReportsOnlyTheTwinsFieldNames(string kind)
    {
        string[] allowed = kind switch
        {
            "lamp" => ["on", "level", "powerW", "energyWh", "firmware"],
            "parking" => ["state", "observedAt", "batteryPct", "rssi", "reserved", "closed", "firmware"],
            "wifi" => ["up", "clients", "uptimeS", "channel", "backhaulUp", "enabled", "ssids", "firmware"],
            _ => ["register", "leak", "tamper", "backflow", "batteryPct", "valveOpen", "reportingIntervalS", "firmware"],
        };
        var model = DeviceModel.Create(new DeviceCredentials(kind, "X1", "s"), NoFaults, new Random(1), MondayMidnight);

        var telemetry = Write(model.WriteTelemetry);
        var reported = Write(model.WriteReported);

        Assert.All(telemetry.EnumerateObject().Concat(reported.EnumerateObject()), field => Assert.Contains(field.Name, allowed));
        Assert.Equal(allowed.Except(["firmware"]).Order(), telemetry.EnumerateObject().Select(f => f.Name).Concat(reported.EnumerateObject().Select(f => f.Name)).Distinct().Except(["firmware"]).Order());
        Assert.True(reported.TryGetProperty("firmware", out _));
    }

    private static LampModel Lamp(DateTimeOffset at, double? ratedWatts = null) =>
        (LampModel)DeviceModel.Create(new DeviceCredentials("lamp", "DU-L-000001", "s") { RatedWatts = ratedWatts }, NoFaults, new Random(1), at);

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    private static DeviceCommand Command(string json) =>
        DeviceCommand.Parse("c", System.Text.Encoding.UTF8.GetBytes(json), out _) ?? throw new ArgumentException(json);

    private static JsonElement Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return JsonDocument.Parse(stream.ToArray()).RootElement;
    }

    private static void AssertNear(DateTimeOffset expected, DateTimeOffset actual, TimeSpan tolerance) =>
        Assert.True((expected - actual).Duration() <= tolerance, $"expected {expected:u}, got {actual:u}");
}
