using System.Collections.Immutable;
using Fleet.Events;
using Fleet.Twins;

namespace Fleet.Grains.Twins;

/// <summary>What changed in a twin, for the read side (fleet index, aggregates, alarms, live events).</summary>
[Flags]
public enum TwinChangeKinds
{
    None = 0,
    Reported = 1,
    Desired = 2,
    Connectivity = 4,
    Faults = 8,
    Provisioned = 16,
    Decommissioned = 32,
    /// <summary>A command moved in its lifecycle; <see cref="TwinChanged.Command"/> says how.</summary>
    Command = 64,
}

/// <summary>
/// One change of one twin, as it stands after the change. Raised and Cleared list the faults that
/// opened and closed with it.
/// </summary>
public sealed record TwinChanged(
    TwinDocument Twin,
    TwinChangeKinds What,
    ImmutableArray<Fault> Raised,
    ImmutableArray<Fault> Cleared,
    DateTimeOffset At,
    CommandStateChange? Command = null);

/// <summary>
/// Told of every twin change on the silo where the twin's grain runs, inside the grain's turn:
/// an implementation must only hand the change on (e.g. to a bounded channel) and return at once —
/// never block, never call back into the grain. Register implementations in DI; all are called.
/// Changes that are written lazily (telemetry) can be told before they are durable; a read side
/// built from them must be rebuildable from the stored twins.
/// </summary>
public interface ITwinObserver
{
    void OnTwinChanged(TwinChanged change);
}

/// <summary>
/// Told of a twin's fault changes (raised or cleared) after they are stored and before the twin
/// answers its caller (for a device: before its PUBACK), and awaited — so a fault the device was
/// told is accepted cannot be lost with a silo's memory queues. Fault changes are rare; keep the
/// work to one short write. A failure is logged and left to the queued path and the reconcile.
/// </summary>
public interface IFaultObserver
{
    Task OnFaultsChangedAsync(TwinChanged change);
}
