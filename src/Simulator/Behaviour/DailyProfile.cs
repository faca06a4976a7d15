namespace Fleet.Simulator.Behaviour;

/// <summary>A value per local hour (0–23), interpolated linearly between the hours.</summary>
public sealed class DailyProfile
{
    private readonly double[] _hours;

    public DailyProfile(params double[] hours)
    {
        if (hours.Length != 24)
        {
            throw new ArgumentException($"A daily profile needs 24 hourly values, not {hours.Length}.", nameof(hours));
        }

        _hours = hours;
        Mean = hours.Average();
        Max = hours.Max();
    }

    public double Mean { get; }

    public double Max { get; }

    public double At(double localHour)
    {
        var hour = ((localHour % 24) + 24) % 24;
        var index = (int)hour;
        var fraction = hour - index;
        return (_hours[index] * (1 - fraction)) + (_hours[(index + 1) % 24] * fraction);
    }
}
