using System.CommandLine;
using Fleet.Client.Commands;

namespace Fleet.Client;

/// <summary>The fleet command line: an Orleans client of a running Fleet cluster.</summary>
public static class FleetCli
{
    public const string GatewayVariable = "FLEET_GATEWAY";

    /// <summary>The cluster's PostgreSQL connection string; when set, gateways come from its membership table.</summary>
    public const string PostgresVariable = "FLEET_POSTGRES";

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var gateway = new Option<string[]>("--gateway")
        {
            Description = $"silo gateway(s) host:port (default: ${GatewayVariable} or 127.0.0.1:30000)",
            Recursive = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var postgres = new Option<string>("--postgres")
        {
            Description = $"find the silos through the cluster's PostgreSQL membership table: a connection string (default: ${PostgresVariable}); instead of --gateway",
            Recursive = true,
        };
        var clusterId = new Option<string>("--cluster-id") { Description = "the cluster id", DefaultValueFactory = _ => "fleet", Recursive = true };

        ParseResult? parsed = null;
        var context = new CliContext(output, error, cancellationToken =>
        {
            var hasGateway = parsed!.GetValue(gateway) is { Length: > 0 };
            var connectionString = parsed.GetValue(postgres) ?? (hasGateway ? null : Environment.GetEnvironmentVariable(PostgresVariable));
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                return hasGateway
                    ? throw new CliException("give either --gateway or --postgres, not both")
                    : FleetConnection.ConnectToPostgreSqlAsync(connectionString, parsed.GetValue(clusterId)!, cancellationToken: cancellationToken);
            }

            var gateways = parsed.GetValue(gateway) is { Length: > 0 } given
                ? given
                : (Environment.GetEnvironmentVariable(GatewayVariable) ?? "127.0.0.1:30000").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return FleetConnection.ConnectAsync(gateways, parsed.GetValue(clusterId)!, cancellationToken: cancellationToken);
        });

        var root = new RootCommand("fleet — the command line of Duisburg's device fleet (Orleans client).")
        {
            gateway,
            postgres,
            clusterId,
            TwinCommands.Create(context),
            AlarmsCommands.Create(context),
            EventsCommands.Create(context),
            DevicesCommands.Create(context), DevicesCommands.Boroughs(context),
            CommandCommands.Create(context),
            JobCommands.Create(context),
            ScheduleCommands.Create(context),
        };

        parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
