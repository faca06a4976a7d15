using System.Globalization;
using Fleet.Simulator.Engine;

namespace Fleet.Simulator.Cli;

/// <summary>Prints one line of live statistics every few seconds, and a summary at the end.</summary>
public sealed class StatsPrinter(SimulatorStats stats, TextWriter output, TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private StatsSnapshot? _previous;
    private string? _lastErrorShown;

    public async Task RunAsync(TimeSpan every, CancellationToken cancellationToken)
    {
        _previous = stats.Snapshot(time.GetUtcNow());
        try
        {
            while (true)
            {
                await Task.Delay(every, time, cancellationToken);
                Print();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Print()
    {
        var now = stats.Snapshot(time.GetUtcNow());
        var previous = _previous ?? now;
        var seconds = Math.Max((now.At - previous.At).TotalSeconds, 0.001);
        var rate = (now.Published - previous.Published) / seconds;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{Elapsed(now.At)}  connected {now.Connected:N0}/{now.Devices:N0}  msgs/s {rate:N0}  sent {now.Published:N0}  " +
            $"commands {now.CommandsAnswered:N0} (ok {now.CommandsSucceeded:N0}, failed {now.CommandsFailed:N0}, rejected {now.CommandsRejected:N0})  " +
            $"desired {now.DesiredApplied:N0}  reconnects {now.Reconnects:N0}  errors {now.Errors:N0}"));
        if (now.LastError is { } error && error != _lastErrorShown)
        {
            output.WriteLine("          last error: " + error);
            _lastErrorShown = error;
        }

        _previous = now;
    }

    public void PrintSummary()
    {
        var now = stats.Snapshot(time.GetUtcNow());
        var seconds = Math.Max((now.At - _started).TotalSeconds, 0.001);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Done after {Elapsed(now.At)}: {now.Published:N0} messages ({now.Published / seconds:N0}/s, {now.Telemetry:N0} telemetry), " +
            $"{now.CommandsReceived:N0} commands received, {now.CommandsAnswered:N0} answered ({now.CommandDuplicates:N0} duplicates), " +
            $"{now.DesiredApplied:N0} desired applied, {now.ConnectAttempts:N0} connection attempts, {now.Reconnects:N0} reconnects."));
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Errors: {now.ConnectFailures:N0} failed connection attempts ({now.AuthFailures:N0} refused credentials), " +
            $"{now.PublishErrors:N0} failed publishes, {now.PublishRejected:N0} uplinks refused by PUBACK, {now.ServerErrors:N0} on the errors topics or unappliable."));
    }

    private string Elapsed(DateTimeOffset at)
    {
        var elapsed = at - _started;
        return string.Create(CultureInfo.InvariantCulture, $"{(int)elapsed.TotalHours:00}:{elapsed.Minutes:00}:{elapsed.Seconds:00}");
    }
}
