using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

internal sealed class WifiRules : KindRules
{
    public static readonly WifiRules Instance = new();

    public override DeviceKind Kind => DeviceKind.Wifi;

    public override void EvaluateFaults(RuleContext context, Dictionary<string, string> active)
    {
        if (Bool(context.State, "up") == false)
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
