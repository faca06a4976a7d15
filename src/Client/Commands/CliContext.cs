using System.Text.Json;

namespace Fleet.Client.Commands;

/// <summary>What every command shares: where to connect, where to write, and how to fail.</summary>
internal sealed class CliContext(TextWriter output, TextWriter error, Func<CancellationToken, Task<FleetConnection>> connect)
{
    public TextWriter Out { get; } = output;

    public JsonSerializerOptions Json { get; } = new(FleetJson.Options) { WriteIndented = true };

    public int Fail(string message)
    {
        error.WriteLine("fleet: " + message);
        return 1;
    }

    /// <summary>Connects, runs the command, and turns the usual failures into a message and an exit code.</summary>
    public async Task<int> RunAsync(Func<IClusterClient, Task<int>> command, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await connect(cancellationToken);
            return await command(connection.Grains);
        }
        catch (CliException exception)
        {
            return Fail(exception.Message);
        }
        catch (Exception exception) when (exception is FormatException or Orleans.Runtime.OrleansException or System.Net.Sockets.SocketException or TimeoutException)
        {
            error.WriteLine("fleet: cannot reach the Fleet cluster: " + exception.Message);
            return 2;
        }
    }
}

/// <summary>A user error with a message meant for the terminal.</summary>
internal sealed class CliException(string message) : Exception(message);
