using Fleet.Simulator.Engine;

namespace Fleet.Simulator.Tests;

public sealed class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Maximum = TimeSpan.FromSeconds(30);

    [Fact]
    public void TheCeilingDoublesUpToTheMaximum()
    {
        var backoff = new Backoff(Initial, Maximum, 0.5, new Random(1));

        Assert.Equal(TimeSpan.FromMilliseconds(500), backoff.Ceiling(0));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Ceiling(1));
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Ceiling(2));
        Assert.Equal(TimeSpan.FromSeconds(16), backoff.Ceiling(5));
        Assert.Equal(Maximum, backoff.Ceiling(6));
        Assert.Equal(Maximum, backoff.Ceiling(1_000_000));
        Assert.Equal(Initial, backoff.Ceiling(-3));
    }

    [Fact]
    public void EveryDelayStaysWithinItsJitterBounds()
    {
        var backoff = new Backoff(Initial, Maximum, 0.5, new Random(4711));

        for (var round = 0; round < 200; round++)
        {
            for (var attempt = 0; attempt <= 40; attempt++)
            {
                var ceiling = backoff.Ceiling(attempt);
                var delay = backoff.Next(attempt);
                Assert.InRange(delay, ceiling * 0.5, ceiling);
            }
        }
    }

    [Fact]
    public void TheJitterSpreadsDevicesThatFailTogether()
    {
        var delays = Enumerable.Range(0, 100)
            .Select(device => new Backoff(Initial, Maximum, 0.5, new Random(device)).Next(3))
            .ToList();

        // 100 devices dropped at once should not come back at the same instant.
        Assert.True(delays.Distinct().Count() > 90);
        Assert.True(delays.Max() - delays.Min() > TimeSpan.FromSeconds(1), $"spread {delays.Max() - delays.Min()}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameDelays()
    {
        var a = new Backoff(Initial, Maximum, 0.5, new Random(42));
        var b = new Backoff(Initial, Maximum, 0.5, new Random(42));

        Assert.Equal(Enumerable.Range(0, 10).Select(a.Next), Enumerable.Range(0, 10).Select(b.Next));
    }

    [Fact]
    public void WithoutJitterTheDelayIsTheCeiling()
    {
        var backoff = new Backoff(Initial, Maximum, 0, new Random(7));

        Assert.Equal(TimeSpan.FromSeconds(4), backoff.Next(3));
    }

    [Fact]
    public void RefusesNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.Zero, Maximum, 0.5, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Maximum, Initial, 0.5, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Initial, Maximum, 1.5, new Random(1)));
    }
}
