namespace Fleet.Simulator.Tests;

/// <summary>Waits for a condition by polling against a deadline — never a fixed sleep.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public static async Task<T> Found<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        T? found = null;
        await True(() => (found = probe()) is not null, what, timeout);
        return found!;
    }
}
