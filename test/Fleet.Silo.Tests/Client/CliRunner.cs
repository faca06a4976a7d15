using Fleet.Client;
using Fleet.Silo.Tests.Hosting;

namespace Fleet.Silo.Tests.Client;

/// <summary>Runs the fleet CLI in-process against a test host's Orleans gateway and captures what it prints.</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Error)> RunAsync(FleetHost host, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] connection = ["--gateway", $"127.0.0.1:{host.Setting("Fleet:Orleans:GatewayPort")}", "--cluster-id", host.Setting("Fleet:Orleans:ClusterId")];
        var exit = await FleetCli.RunAsync([.. args, .. connection], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command that must succeed and returns its output.</summary>
    public static async Task<string> RunOkAsync(FleetHost host, params string[] args)
    {
        var (exit, output, error) = await RunAsync(host, args);
        Assert.True(exit == 0, $"fleet {string.Join(' ', args)} exited {exit}: {error}");
        return output;
    }

    /// <summary>Runs a command that must fail with a message and returns the message.</summary>
    public static async Task<string> RunFailingAsync(FleetHost host, params string[] args)
    {
        var (exit, _, error) = await RunAsync(host, args);
        Assert.True(exit == 1, $"fleet {string.Join(' ', args)} exited {exit}, expected 1: {error}");
        Assert.StartsWith("fleet: ", error, StringComparison.Ordinal);
        return error;
    }
}
