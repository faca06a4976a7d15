using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

/// <summary>What one kind adds to the shared twin engine: derived values, fault rules, history.</summary>
internal abstract class KindRules
{
    public abstract DeviceKind Kind { get; }

    /// <summary>A kind-specific objection to a desired value (beyond the schema), or null.</summary>
    public virtual string? CheckDesired(DeviceMetadata metadata, string field, TwinValue value) => null;

    /// <summary>Adjusts a validated report before it is applied (derive, drop what must not apply).</summary>
    public virtual void BeforeApply(RuleContext context, Dictionary<string, TwinValue> values)
    {
    }

    /// <summary>Adds every fault that holds for the twin as it now is.</summary>
    public abstract void EvaluateFaults(RuleContext context, Dictionary<string, string> active);

    /// <summary>The value a telemetry report adds to the history, if the applied values carry one.</summary>
    public abstract double? HistoryValue(IReadOnlyDictionary<string, TwinValue> applied);

    /// <summary>When a time-based rule should next be evaluated without a report, if ever.</summary>
    public virtual DateTimeOffset? NextCheck(TwinState state, TwinOptions options) => null;

    protected static double? Number(IReadOnlyDictionary<string, TwinValue> values, string field) =>
        values.TryGetValue(field, out var value) && value.Type == TwinValueType.Number ? value.Number : null;

    protected static bool? Bool(TwinState state, string field) =>
        state.Reported.TryGetValue(field, out var value) && value.Type == TwinValueType.Bool ? value.Bool : null;

    protected static double? Number(TwinState state, string field) =>
        state.Reported.TryGetValue(field, out var value) && value.Type == TwinValueType.Number ? value.Number : null;

    protected static string? Word(TwinState state, string field) =>
        state.Reported.TryGetValue(field, out var value) && value.Type == TwinValueType.Text ? value.Text : null;
}

/// <summary>What a rule can see: the twin, the report being applied (if any), the clock and settings.</summary>
internal sealed record RuleContext(TwinState State, DeviceReport? Report, DateTimeOffset At, DateTimeOffset Now, TwinOptions Options)
{
    public bool IsActive(string code) => State.Faults.Exists(fault => fault.Code == code);

    public bool ReportHas(string field) => Report?.Values.ContainsKey(field) == true;
}
