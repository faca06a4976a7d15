namespace Fleet.Simulator.Engine;

/// <summary>
/// Jittered exponential backoff: the ceiling doubles per failed attempt from <see cref="Initial"/>
/// up to <see cref="Maximum"/>, and each delay is drawn uniformly from
/// [ceiling × (1 − jitter), ceiling] so that devices dropped together do not come back together.
/// </summary>
public sealed class Backoff
{
    private readonly Random _random;

    public Backoff(TimeSpan initial, TimeSpan maximum, double jitter, Random random)
    {
        if (initial <= TimeSpan.Zero || maximum < initial)
        {
            throw new ArgumentOutOfRangeException(nameof(maximum), $"Backoff needs 0 < initial ({initial}) <= maximum ({maximum}).");
        }

        if (jitter is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(jitter), $"Backoff jitter must be within [0, 1]; it is {jitter}.");
        }

        Initial = initial;
        Maximum = maximum;
        Jitter = jitter;
        _random = random;
    }

    public TimeSpan Initial { get; }

    public TimeSpan Maximum { get; }

    public double Jitter { get; }

    /// <summary>The upper bound of the delay after <paramref name="attempt"/> failures (0 = first retry).</summary>
    public TimeSpan Ceiling(int attempt)
    {
        var doublings = Math.Clamp(attempt, 0, 62);
        var ticks = Initial.Ticks * Math.Pow(2, doublings);
        return ticks >= Maximum.Ticks ? Maximum : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The delay before retry number <paramref name="attempt"/> (0 = first retry).</summary>
    public TimeSpan Next(int attempt)
    {
        var ceiling = Ceiling(attempt);
        var factor = 1 - (Jitter * _random.NextDouble());
        return TimeSpan.FromTicks((long)(ceiling.Ticks * factor));
    }
}
