namespace Fleet.Silo.Mqtt;

/// <summary>
/// A token bucket: <c>burst</c> tokens at most, refilled at <c>ratePerSecond</c>; each message takes
/// one. Per connection, so the check costs O(1) and needs no shared state.
/// </summary>
internal sealed class TokenBucket(double ratePerSecond, int burst, TimeProvider time)
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private long _refilledAt = time.GetTimestamp();

    public bool TryTake()
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * ratePerSecond));
            _refilledAt = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens--;
            return true;
        }
    }
}
