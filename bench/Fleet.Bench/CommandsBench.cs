namespace Fleet.Bench;

/// <summary>P2: the command round trip. Needs the commands API (POST /api/devices/{kind}/{id}/commands?wait=).</summary>
internal static class CommandsBench
{
    public static Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("P2 needs the commands API, which this build does not have yet.");
        return Task.FromResult(3);
    }
}
