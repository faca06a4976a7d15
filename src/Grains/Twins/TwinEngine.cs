using System.Collections.Immutable;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

/// <summary>What applying something to a twin changed, so the grain knows how soon to write.</summary>
internal enum TwinChange
{
    None,
    /// <summary>Reported values or connectivity only: may be written a little later.</summary>
    Telemetry,
    /// <summary>Desired, faults or registration: written before the call returns.</summary>
    Durable,
}

/// <summary>
/// The one twin engine all four kinds share: validation, idempotent ingest, desired and delta,
/// fault transitions, history. Pure logic over <see cref="TwinState"/>; the grain adds storage and time.
/// </summary>
internal sealed class TwinEngine(KindRules rules, TwinOptions options)
{
    public DeviceKind Kind => rules.Kind;

    public (ReportResult Result, TwinChange Change) Apply(TwinState state, DeviceReport report, DateTimeOffset now)
    {
        if (!state.Provisioned)
        {
            return (new ReportResult { Outcome = ReportOutcome.UnknownDevice, Error = "The device is not provisioned." }, TwinChange.None);
        }

        if (report.Seq < 0 || report.Boot < 0)
        {
            return (ReportResult.Rejected("'seq' and 'boot' must not be negative"), TwinChange.None);
        }

        if (state.Boot is { } boot && (report.Boot < boot || (report.Boot == boot && report.Seq <= state.Seq)))
        {
            return (new ReportResult { Outcome = ReportOutcome.Duplicate, Version = state.Version }, TwinChange.None);
        }

        if (report.Timestamp is { } ts && ts > now + options.MaxClockSkew)
        {
            return (ReportResult.Rejected($"'ts' is more than {options.MaxClockSkew.TotalMinutes:0} minutes in the future"), TwinChange.None);
        }

        var ignored = ImmutableArray.CreateBuilder<string>();
        var values = new Dictionary<string, TwinValue>(StringComparer.Ordinal);
        foreach (var (name, value) in report.Values)
        {
            var spec = TwinSchema.Find(Kind, name);
            if (spec is null || !spec.IsReported)
            {
                ignored.Add(name);
                continue;
            }

            if (spec.Check(value) is { } error)
            {
                return (ReportResult.Rejected(error), TwinChange.None);
            }

            values[name] = value;
        }

        var at = report.Timestamp ?? now;
        var context = new RuleContext(state, report, at, now, options);
        rules.BeforeApply(context, values);
        foreach (var (name, value) in values)
        {
            state.Reported[name] = value;
            state.ReportedAt[name] = at;
        }

        state.Boot = report.Boot;
        state.Seq = report.Seq;
        state.Connectivity = state.Connectivity with { LastSeen = now };
        state.Version++;

        if (report.Topic == ReportTopic.Telemetry && rules.HistoryValue(values) is { } point)
        {
            AddHistory(state, new HistoryPoint(at, point));
        }

        var faultsChanged = UpdateFaults(context);
        var result = new ReportResult { Outcome = ReportOutcome.Applied, IgnoredFields = ignored.ToImmutable(), Version = state.Version };
        return (result, faultsChanged ? TwinChange.Durable : TwinChange.Telemetry);
    }

    public TwinResult MergeDesired(TwinState state, string id, DesiredPatch patch, DateTimeOffset now)
    {
        if (!state.Provisioned)
        {
            return TwinResult.Fail(TwinOutcome.NotFound, $"No {Kind.ToWire()} '{id}' is provisioned.");
        }

        if (patch.ExpectedVersion is { } expected && expected != state.Version)
        {
            return TwinResult.Fail(TwinOutcome.VersionConflict, $"The twin is at version {state.Version}, not {expected}.");
        }

        foreach (var (name, value) in patch.Changes)
        {
            var spec = TwinSchema.Find(Kind, name);
            if (spec is null || !spec.IsDesired)
            {
                var desirable = string.Join(", ", TwinSchema.For(Kind).Values.Where(s => s.IsDesired).Select(s => s.Name));
                return TwinResult.Fail(TwinOutcome.Invalid, $"'{name}' is not a desired field of a {Kind.ToWire()} (desired fields: {desirable})");
            }

            if (value is not null && (spec.Check(value) ?? rules.CheckDesired(state.Metadata, name, value)) is { } error)
            {
                return TwinResult.Fail(TwinOutcome.Invalid, error);
            }
        }

        if (patch.Changes.Count > 0)
        {
            foreach (var (name, value) in patch.Changes)
            {
                if (value is null)
                {
                    state.Desired?.Remove(name);
                    state.DesiredAt?.Remove(name);
                }
                else
                {
                    (state.Desired ??= new(StringComparer.Ordinal))[name] = value;
                    (state.DesiredAt ??= new(StringComparer.Ordinal))[name] = now;
                }
            }

            if (state.Desired is { Count: 0 })
            {
                state.Desired = null;
                state.DesiredAt = null;
            }

            state.Version++;
        }

        return TwinResult.Ok(ToDocument(state, id));
    }

    /// <summary>Re-evaluates time-based fault rules without a report; true when a fault opened or closed.</summary>
    public bool Reevaluate(TwinState state, DateTimeOffset now) =>
        state.Provisioned && UpdateFaults(new RuleContext(state, null, now, now, options));

    public DateTimeOffset? NextCheck(TwinState state) => state.Provisioned ? rules.NextCheck(state, options) : null;

    public TwinDocument ToDocument(TwinState state, string id) => new()
    {
        Kind = Kind,
        Id = id,
        Metadata = state.Metadata,
        Reported = state.Reported.ToImmutableDictionary(StringComparer.Ordinal),
        Desired = Snapshot(state.Desired),
        Delta = Delta(state),
        Timestamps = new TwinTimestamps
        {
            Reported = state.ReportedAt.ToImmutableDictionary(StringComparer.Ordinal),
            Desired = Snapshot(state.DesiredAt),
        },
        Version = state.Version,
        Connectivity = state.Connectivity,
        Faults = [.. state.Faults],
    };

    /// <summary>An immutable copy of a field dictionary that may not exist yet.</summary>
    public static ImmutableDictionary<string, T> Snapshot<T>(Dictionary<string, T>? fields) =>
        fields is null ? ImmutableDictionary.Create<string, T>(StringComparer.Ordinal) : fields.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>Desired fields whose reported value differs (or has not been reported yet).</summary>
    public static ImmutableDictionary<string, TwinValue> Delta(TwinState state)
    {
        var delta = ImmutableDictionary.CreateBuilder<string, TwinValue>(StringComparer.Ordinal);
        foreach (var (name, value) in state.Desired ?? [])
        {
            if (!state.Reported.TryGetValue(name, out var reported) || !reported.Equals(value))
            {
                delta[name] = value;
            }
        }

        return delta.ToImmutable();
    }

    private bool UpdateFaults(RuleContext context)
    {
        var state = context.State;
        var active = new Dictionary<string, string>(StringComparer.Ordinal);
        rules.EvaluateFaults(context, active);

        var changed = state.Faults.RemoveAll(fault => !active.ContainsKey(fault.Code)) > 0;
        for (var i = 0; i < state.Faults.Count; i++)
        {
            var fault = state.Faults[i];
            if (active.Remove(fault.Code, out var detail) && detail != fault.Detail)
            {
                state.Faults[i] = fault with { Detail = detail };
            }
        }

        foreach (var (code, detail) in active)
        {
            state.Faults.Add(new Fault { Code = code, Since = context.At, Detail = detail });
            changed = true;
        }

        if (changed && context.Report is null)
        {
            state.Version++;
        }

        return changed;
    }

    private void AddHistory(TwinState state, HistoryPoint point)
    {
        state.History.Add(point);
        var excess = state.History.Count - options.HistoryLength;
        if (excess > 0)
        {
            state.History.RemoveRange(0, excess);
        }
    }
}
