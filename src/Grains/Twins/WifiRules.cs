using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

internal sealed class WifiRules : KindRules
{
    public static readonly WifiRules Instance = new();

    public override DeviceKind Kind => DeviceKind.Wifi;

    public override void EvaluateFaults(RuleContext context, Dictionary<string, string> active)
    {
        // A radio that operations switched off (enabled false) is down on purpose, not faulty.
        if (Bool(context.State, "up") == false && Bool(context.State, "enabled") != false && context.State.Desired?.GetValueOrDefault("enabled")?.Bool != false)
        {
            active[FaultCodes.ApDown] = "The access point reports its radio down.";
        }

        if (Bool(context.State, "backhaulUp") == false)
        {
            active[FaultCodes.BackhaulDown] = "The access point has lost its backhaul link.";
        }
    }

    public override double? HistoryValue(IReadOnlyDictionary<string, TwinValue> applied) => Number(applied, "clients");
}
