namespace Fleet.Bench;

/// <summary>
/// fleet-bench: one subcommand per figure of docs/benchmarks.md. Each measures, prints what it saw
/// and writes a result file (--out) that <c>report</c> turns into the table. bench/run.sh runs them.
/// </summary>
internal static class BenchCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: fleet-bench ingest|twins|writes|query|connections|commands|index-lag|report [--option value …]");
            return 2;
        }

        var options = BenchArgs.Parse(args.Skip(1));
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        try
        {
            return args[0] switch
            {
                "ingest" => await IngestBench.RunAsync(options, stop.Token),
                "twins" => await ResidentTwinsBench.RunAsync(options, stop.Token),
                "writes" => await DurableWritesBench.RunAsync(options, stop.Token),
                "query" => await FleetQueryBench.RunAsync(options, stop.Token),
                "connections" => await ConnectionsBench.RunAsync(options, stop.Token),
                "commands" => await CommandsBench.RunAsync(options, stop.Token),
                "index-lag" => await IndexLagBench.RunAsync(options, stop.Token),
                "report" => await BenchReport.RunAsync(options, stop.Token),
                _ => Unknown(args[0]),
            };
        }
        catch (ArgumentException exception)
        {
            Console.Error.WriteLine(exception.Message);
            return 2;
        }
    }

    private static int Unknown(string command)
    {
        Console.Error.WriteLine($"unknown subcommand '{command}'");
        return 2;
    }
}
