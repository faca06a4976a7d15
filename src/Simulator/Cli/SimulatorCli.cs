using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using Fleet.Simulator.Behaviour;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.Simulator.Cli;

/// <summary>The <c>fleet-sim</c> command line.</summary>
public static class SimulatorCli
{
    private static readonly Option<string> Credentials = new("--credentials", "-c")
    {
        Description = "CSV with the header kind,id,secret (optional columns ratedW, borough, medium)",
        DefaultValueFactory = _ => "data/demo-devices.csv",
    };

    private static readonly Option<IReadOnlyList<MqttEndpoint>> Endpoints = new("--endpoints", "-e")
    {
        Description = "Silo MQTT endpoints, host:port[,host:port…]; devices spread over them and move to the next on failure [default: 127.0.0.1:1883]",
        CustomParser = Parser(MqttEndpoint.ParseList),
    };

    private static readonly Option<int?> Devices = new("--devices", "-n")
    {
        Description = "Simulate at most N devices, mixed in the file's proportions of kinds [default: all]",
    };

    private static readonly Option<IReadOnlyList<string>> Kinds = new("--kinds", "-k")
    {
        Description = "Only these kinds, e.g. lamp,meter [default: all]",
        CustomParser = Parser(ParseKinds),
    };

    private static readonly Option<TimeSpan?> Interval = new("--interval", "-i")
    {
        Description = "Telemetry interval per device [default: 10s]",
        CustomParser = Parser<TimeSpan?>(text => CliValues.ParseDuration(text)),
    };

    private static readonly Option<double> Jitter = new("--jitter")
    {
        Description = "Telemetry interval jitter: each interval is drawn from interval × [1 − j, 1 + j]",
        DefaultValueFactory = _ => 0.2,
    };

    private static readonly Option<double> CommandSuccess = new("--command-success")
    {
        Description = "Share of valid commands that succeed (the rest answer 'failed')",
        DefaultValueFactory = _ => 1.0,
    };

    private static readonly Option<(TimeSpan Min, TimeSpan Max)?> CommandDelay = new("--command-delay")
    {
        Description = "Time a device takes to carry out a command, min-max or one value [default: 20ms-200ms]",
        CustomParser = Parser<(TimeSpan, TimeSpan)?>(text => CliValues.ParseDurationRange(text)),
    };

    private static readonly Option<TimeSpan?> Duration = new("--duration", "-d")
    {
        Description = "Stop after this long, e.g. 5m [default: until Ctrl+C]",
        CustomParser = Parser<TimeSpan?>(text => CliValues.ParseDuration(text)),
    };

    private static readonly Option<IReadOnlyList<IPAddress>> Sources = new("--source-addresses")
    {
        Description = "Local addresses to bind device sockets to, round-robin, e.g. 127.0.0.1-127.0.0.8 (~28k connections per address) [default: the OS picks]",
        CustomParser = Parser(SourceAddresses.Parse),
    };

    private static readonly Option<int> ConnectConcurrency = new("--connect-concurrency")
    {
        Description = "Devices connecting at the same time, at most",
        DefaultValueFactory = _ => 32,
    };

    private static readonly Option<string> Qos = new Option<string>("--qos")
    {
        Description = "QoS of telemetry (reported state and results are always QoS 1)",
        DefaultValueFactory = _ => "1",
    }.AcceptOnlyFromAmong("0", "1");

    private static readonly Option<string> Protocol = new Option<string>("--protocol")
    {
        Description = "MQTT protocol version",
        DefaultValueFactory = _ => "5",
    }.AcceptOnlyFromAmong("5", "3.1.1");

    private static readonly Option<TimeSpan?> KeepAlive = new("--keep-alive")
    {
        Description = "MQTT keep-alive period [default: 30s]",
        CustomParser = Parser<TimeSpan?>(text => CliValues.ParseDuration(text)),
    };

    private static readonly Option<(TimeSpan Min, TimeSpan Max)?> Backoff = new("--backoff")
    {
        Description = "Reconnect backoff, first-maximum: doubles per failed attempt, each delay jittered down by up to half [default: 500ms-30s]",
        CustomParser = Parser<(TimeSpan, TimeSpan)?>(text => CliValues.ParseDurationRange(text)),
    };

    private static readonly Option<double> FaultScale = new("--fault-scale")
    {
        Description = "Multiplies fault rates (failed lamps, leaks, lost backhaul…): 0 = none, 1 = a lively city, 100 = a demo of disasters",
        DefaultValueFactory = _ => 1.0,
    };

    private static readonly Option<int> Seed = new("--seed")
    {
        Description = "Seed of every device's randomness (with its id): same seed, same city",
        DefaultValueFactory = _ => 4711,
    };

    private static readonly Option<TimeSpan?> StatsEvery = new("--stats-every")
    {
        Description = "How often to print live statistics [default: 5s]",
        CustomParser = Parser<TimeSpan?>(text => CliValues.ParseDuration(text)),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var run = new Command("run", "Connect simulated devices to Fleet and keep them talking")
        {
            Credentials, Endpoints, Devices, Kinds, Interval, Jitter, CommandSuccess, CommandDelay, Duration, Sources,
            ConnectConcurrency, Qos, Protocol, KeepAlive, Backoff, FaultScale, Seed, StatsEvery,
        };
        AddValidators();
        run.SetAction(RunCommandAsync);

        var root = new RootCommand("fleet-sim — simulated Duisburg devices (lamps, parking bays, Wi-Fi APs, meters) speaking Fleet's MQTT protocol")
        {
            run,
        };

        // Ctrl+C cancels the action's token; give thousands of connections time to say goodbye.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) });
    }

    private static async Task<int> RunCommandAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        IReadOnlyList<DeviceCredentials> all;
        try
        {
            all = await CredentialsFile.ReadAsync(parse.GetValue(Credentials)!, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or FormatException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync(exception.Message);
            return 2;
        }

        var selected = Simulation.Select(all, parse.GetValue(Kinds) ?? [], parse.GetValue(Devices));
        if (selected.Count == 0)
        {
            await error.WriteLineAsync("No device to simulate: the credentials file has none of the requested kinds.");
            return 2;
        }

        var defaults = new SimulatorOptions();
        var (delayMin, delayMax) = parse.GetValue(CommandDelay) ?? (defaults.CommandDelayMin, defaults.CommandDelayMax);
        var (backoffInitial, backoffMax) = parse.GetValue(Backoff) ?? (defaults.BackoffInitial, defaults.BackoffMax);
        var options = new SimulatorOptions
        {
            Endpoints = parse.GetValue(Endpoints) ?? defaults.Endpoints,
            SourceAddresses = parse.GetValue(Sources) ?? [],
            TelemetryInterval = parse.GetValue(Interval) ?? defaults.TelemetryInterval,
            TelemetryJitter = parse.GetValue(Jitter),
            CommandSuccessRate = parse.GetValue(CommandSuccess),
            CommandDelayMin = delayMin,
            CommandDelayMax = delayMax,
            BackoffInitial = backoffInitial,
            BackoffMax = backoffMax,
            ConnectConcurrency = parse.GetValue(ConnectConcurrency),
            TelemetryQos = parse.GetValue(Qos) == "0" ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce,
            ProtocolVersion = parse.GetValue(Protocol) == "3.1.1" ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500,
            KeepAlive = parse.GetValue(KeepAlive) ?? defaults.KeepAlive,
            Seed = parse.GetValue(Seed),
            Behaviour = new ModelSettings { FaultScale = parse.GetValue(FaultScale) },
        };

        using var simulation = new Simulation(selected, options);
        await output.WriteLineAsync(Describe(simulation, parse.GetValue(Duration)));
        foreach (var warning in Warnings(simulation))
        {
            await error.WriteLineAsync("warning: " + warning);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (parse.GetValue(Duration) is { } duration)
        {
            stop.CancelAfter(duration);
        }

        var printer = new StatsPrinter(simulation.Stats, output, TimeProvider.System);
        var printing = printer.RunAsync(parse.GetValue(StatsEvery) ?? TimeSpan.FromSeconds(5), stop.Token);
        await simulation.RunAsync(stop.Token);
        await stop.CancelAsync();
        await printing;
        printer.Print();
        printer.PrintSummary();
        return 0;
    }

    private static void AddValidators()
    {
        Check(Devices, n => n is null or > 0, "at least 1");
        Check(Interval, i => i is null or { Ticks: > 0 }, "positive");
        Check(Jitter, j => j is >= 0 and < 1, "within [0, 1)");
        Check(CommandSuccess, r => r is >= 0 and <= 1, "within [0, 1]");
        Check(ConnectConcurrency, n => n >= 1, "at least 1");
        Check(Backoff, b => b is null or { Item1.Ticks: > 0 }, "above zero at its start");
        Check(FaultScale, f => f >= 0, "zero or more");
        Check(StatsEvery, e => e is null or { Ticks: > 0 }, "positive");
        Check(Duration, d => d is null or { Ticks: > 0 }, "positive");
    }

    private static void Check<T>(Option<T> option, Func<T, bool> valid, string rule) =>
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // the value did not parse; that error is already reported
            }

            if (!valid(value))
            {
                result.AddError($"{option.Name} must be {rule}.");
            }
        });

    private static string Describe(Simulation simulation, TimeSpan? duration)
    {
        var options = simulation.Options;
        var kinds = string.Join(", ", simulation.Devices
            .GroupBy(d => d.Credentials.Kind, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count():N0} {g.Key}")));
        var sources = options.SourceAddresses.Count > 0
            ? string.Create(CultureInfo.InvariantCulture, $" from {options.SourceAddresses.Count} source addresses")
            : string.Empty;
        var until = duration is { } d ? "for " + CliValues.Format(d) : "until Ctrl+C";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"fleet-sim: {simulation.Devices.Count:N0} devices ({kinds}) → {string.Join(", ", options.Endpoints)}{sources}; " +
            $"telemetry every {CliValues.Format(options.TelemetryInterval)} ±{options.TelemetryJitter:P0}, QoS {(int)options.TelemetryQos}, boot {options.Boot}; {until}.");
    }

    private static IEnumerable<string> Warnings(Simulation simulation)
    {
        var perAddress = simulation.Devices.Count / Math.Max(1, simulation.Options.SourceAddresses.Count);
        if (perAddress > 28_000)
        {
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"{perAddress:N0} connections per source address exceed the ~28k ephemeral ports; add --source-addresses 127.0.0.1-127.0.0.N.");
        }

        if (OpenFilesLimit() is { } limit && simulation.Devices.Count + 64 > limit)
        {
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"{simulation.Devices.Count:N0} connections need more file descriptors than this process may open ({limit:N0}); raise it with ulimit -n.");
        }
    }

    private static long? OpenFilesLimit()
    {
        try
        {
            const string Limits = "/proc/self/limits";
            var line = File.Exists(Limits) ? File.ReadLines(Limits).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal)) : null;
            var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static IReadOnlyList<string> ParseKinds(string text)
    {
        var kinds = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            kinds.Add(DeviceKinds.TryNormalize(part, out var kind)
                ? kind
                : throw new FormatException($"'{part}' is not a device kind; use {string.Join(", ", DeviceKinds.All)}."));
        }

        return kinds;
    }

    /// <summary>Turns a parser that throws FormatException into one that reports a parse error naming the option.</summary>
    private static Func<ArgumentResult, T> Parser<T>(Func<string, T> parse) => result =>
    {
        var text = string.Join(",", result.Tokens.Select(t => t.Value));
        try
        {
            return parse(text);
        }
        catch (FormatException exception)
        {
            var name = (result.Parent as OptionResult)?.Option.Name ?? "value";
            result.AddError($"{name}: {exception.Message}");
            return default!;
        }
    };
}
