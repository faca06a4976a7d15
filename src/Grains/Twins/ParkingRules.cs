using System.Globalization;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

internal sealed class ParkingRules : KindRules
{
    public static readonly ParkingRules Instance = new();

    public override DeviceKind Kind => DeviceKind.Parking;

    public override void BeforeApply(RuleContext context, Dictionary<string, TwinValue> values)
    {
        if (!values.TryGetValue("state", out var state))
        {
            return;
        }

        var wasOccupied = Word(context.State, "state") == "occupied";
        if (state.Text != "occupied")
        {
            context.State.OccupiedSince = null;
        }
        else if (!wasOccupied || context.State.OccupiedSince is null)
        {
            var observed = values.TryGetValue("observedAt", out var at)
                && DateTimeOffset.TryParse(at.Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed
                : context.At;
            context.State.OccupiedSince = observed;
        }
    }

    public override void EvaluateFaults(RuleContext context, Dictionary<string, string> active)
    {
        var state = context.State;
        var battery = Number(state, "batteryPct");
        var threshold = context.IsActive(FaultCodes.SensorBatteryLow) ? context.Options.BatteryOkPercent : context.Options.BatteryLowPercent;
        if (battery < threshold)
        {
            active[FaultCodes.SensorBatteryLow] = string.Create(CultureInfo.InvariantCulture, $"Battery at {battery:0}%.");
        }

        if (state.OccupiedSince is { } since && context.Now - since > context.Options.StuckOccupiedAfter)
        {
            active[FaultCodes.StuckOccupied] = string.Create(CultureInfo.InvariantCulture, $"Occupied since {since:u}.");
        }
    }

    public override double? HistoryValue(IReadOnlyDictionary<string, TwinValue> applied) => applied.GetValueOrDefault("state")?.Text switch
    {
        "occupied" => 1,
        "free" => 0,
        _ => null,
    };

    public override DateTimeOffset? NextCheck(TwinState state, TwinOptions options) =>
        state.OccupiedSince + options.StuckOccupiedAfter + TimeSpan.FromSeconds(1);
}
