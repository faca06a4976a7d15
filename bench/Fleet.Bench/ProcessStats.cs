using System.Diagnostics;
using System.Globalization;

namespace Fleet.Bench;

/// <summary>CPU time and resident memory of a process, from /proc (Linux).</summary>
internal static class ProcessStats
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>User + system CPU seconds the process has used so far.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ": state is field 0, utime 11, stime 12.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>Resident set size in bytes.</summary>
    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public static int OpenFiles(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    public static int Self => Environment.ProcessId;

    /// <summary>Measures CPU % (of one core) of a process over a window.</summary>
    public sealed class CpuWindow
    {
        private readonly int _pid;
        private readonly double _cpuStart;
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public CpuWindow(int pid)
        {
            _pid = pid;
            _cpuStart = CpuSeconds(pid);
        }

        public double Percent => (CpuSeconds(_pid) - _cpuStart) / _clock.Elapsed.TotalSeconds * 100;

        public double CpuSecondsUsed => CpuSeconds(_pid) - _cpuStart;
    }
}

/// <summary>Percentiles of a latency sample, in milliseconds.</summary>
internal static class Percentiles
{
    public static double Of(List<double> sorted, double percentile)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}
