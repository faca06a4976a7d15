using System.Globalization;
using Fleet.Devices;
using Fleet.Grains.Domain;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

internal sealed class LampRules : KindRules
{
    public static readonly LampRules Instance = new();

    public override DeviceKind Kind => DeviceKind.Lamp;

    public override void EvaluateFaults(RuleContext context, Dictionary<string, string> active)
    {
        var state = context.State;
        var rated = state.Metadata.RatedWatts ?? 0;
        var lit = Bool(state, "on") == true && Number(state, "level") is > 0;
        var level = Number(state, "level") ?? 0;
        var power = Number(state, "powerW");

        if (context.ReportHas("powerW"))
        {
            var expected = rated * level / 100;
            state.LowPowerStreak = lit && power < expected * context.Options.LampFailureRatio ? state.LowPowerStreak + 1 : 0;
        }

        if (state.LowPowerStreak >= 2)
        {
            active[FaultCodes.LampFailure] = string.Create(
                CultureInfo.InvariantCulture,
                $"Lit at {level:0}% but drawing {power:0.#} W of {rated * level / 100:0.#} W expected, {state.LowPowerStreak} reports in a row.");
        }

        if (power > rated * context.Options.PowerAnomalyRatio)
        {
            active[FaultCodes.PowerAnomaly] = string.Create(CultureInfo.InvariantCulture, $"Drawing {power:0.#} W, rated {rated:0.#} W.");
        }

        if (lit && IsBroadDaylight(context))
        {
            active[FaultCodes.DayBurner] = "Lit while the sun is up.";
        }
    }

    public override double? HistoryValue(IReadOnlyDictionary<string, TwinValue> applied) => Number(applied, "powerW");

    private static bool IsBroadDaylight(RuleContext context)
    {
        var metadata = context.State.Metadata;
        var sun = SolarCalculator.GetSunTimes(DateOnly.FromDateTime(context.At.UtcDateTime), metadata.Lat, metadata.Lon);
        return sun.Day switch
        {
            SunDay.PolarDay => true,
            SunDay.PolarNight => false,
            _ => context.At >= sun.Sunrise + context.Options.DayBurnerMargin && context.At <= sun.Sunset - context.Options.DayBurnerMargin,
        };
    }
}
