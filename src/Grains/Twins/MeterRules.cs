using System.Globalization;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

internal sealed class MeterRules : KindRules
{
    public static readonly MeterRules Instance = new();

    public override DeviceKind Kind => DeviceKind.Meter;

    public override string? CheckDesired(DeviceMetadata metadata, string field, TwinValue value) =>
        field == "valveOpen" && !MeterMedia.HasValve(metadata.Medium)
            ? $"'valveOpen' applies only to water and gas meters; this meter measures {metadata.Medium}"
            : null;

    /// <summary>
    /// A register never goes backwards: a lower value is not applied and raises registerWentBackwards
    /// until a register at or above the applied one arrives. Consumption is derived from the step.
    /// </summary>
    public override void BeforeApply(RuleContext context, Dictionary<string, TwinValue> values)
    {
        if (!values.TryGetValue("register", out var register))
        {
            return;
        }

        var previous = Number(context.State, "register");
        if (previous is { } before && register.Number < before)
        {
            values.Remove("register");
            context.State.RegisterWentBackwards = true;
            return;
        }

        context.State.RegisterWentBackwards = false;
        if (previous is { } last)
        {
            values["consumption"] = TwinValue.Of(register.Number - last);
        }
    }

    public override void EvaluateFaults(RuleContext context, Dictionary<string, string> active)
    {
        var state = context.State;
        if (Bool(state, "leak") == true)
        {
            active[FaultCodes.Leak] = "The meter reports a leak.";
        }

        if (Bool(state, "tamper") == true)
        {
            active[FaultCodes.Tamper] = "The meter reports tampering.";
        }

        if (Bool(state, "backflow") == true)
        {
            active[FaultCodes.Backflow] = "The meter reports backflow.";
        }

        if (state.RegisterWentBackwards)
        {
            active[FaultCodes.RegisterWentBackwards] = string.Create(
                CultureInfo.InvariantCulture, $"A register value below the applied {Number(state, "register"):0.###} was reported and not applied.");
        }
    }

    public override double? HistoryValue(IReadOnlyDictionary<string, TwinValue> applied) => Number(applied, "consumption");
}
