namespace Fleet.Grains.Twins;

/// <summary>
/// The clock the twin rules read. Separate from the TimeProvider Orleans itself runs on, so tests
/// can move twin time (stuck bays, day-burning lamps, clock skew) without freezing the runtime.
/// </summary>
public sealed class TwinClock(TimeProvider provider)
{
    public TwinClock()
        : this(TimeProvider.System)
    {
    }

    public DateTimeOffset UtcNow => provider.GetUtcNow();
}
