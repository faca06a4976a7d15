using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Fleet.Bench;

/// <summary>
/// Turns the result files of one run (--results DIR) into docs/benchmarks.md (--out): machine
/// table, one section per figure with its command, target, result and ratio, then the findings
/// (bench/findings.md: profiles, before/after of fixes), which are written by hand.
/// </summary>
internal static class BenchReport
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken cancellationToken)
    {
        var directory = args.Required("results");
        async Task<BenchResult?> Load(string name) => await BenchResult.LoadAsync(Path.Combine(directory, name + ".json"), cancellationToken);

        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        static string N(double value, string format = "N0") => BenchResult.Format(value, format);

        Line("# Fleet benchmarks");
        Line();
        Line("Written by `bench/run.sh` (one command, loopback only, < 20 min); every figure names the command");
        Line("that produced it (`fleet-bench` is `dotnet bench/out/fleet-bench.dll`, built by the script). Reference");
        Line("systems run on the same machine in the same run, so the **ratios** are the figures to compare: absolute");
        Line("numbers move with whatever else the machine is doing.");
        Line();
        Line("| machine | |");
        Line("|---|---|");
        foreach (var (name, value) in Machine(args))
        {
            Line($"| {name} | {value} |");
        }

        Line();
        Line("| figure | target | result | ratio / verdict |");
        Line("|---|---|---|---|");
        var summary = text.Length;
        var sections = new StringBuilder();
        void Section(string line = "") => sections.Append(line).Append('\n');
        var rows = new List<string>();

        // P1
        var fleet = await Load("p1-fleet");
        var mosquitto = await Load("p1-mosquitto");
        Section("## P1 ingest — QoS 1 telemetry into twin grains, against mosquitto");
        Section();
        if (fleet is not null && mosquitto is not null)
        {
            var ratio = fleet["ackedPerSecond"] / mosquitto["ackedPerSecond"];
            Section("| endpoint | devices connected | offered msg/s | PUBACKed msg/s | relayed to subscriber msg/s | endpoint CPU % (of one core) | generator CPU % | errors |");
            Section("|---|---|---|---|---|---|---|---|");
            foreach (var (name, r) in new[] { ("Fleet silo (MQTT → twin grain)", fleet), ("mosquitto (publisher → broker → subscriber)", mosquitto) })
            {
                Section($"| {name} | {N(r["connected"])} | {N(r["offeredPerSecond"])} | **{N(r["ackedPerSecond"])}** | {N(r["relayedPerSecond"])} | {N(r["serverCpuPercent"])} | {N(r["generatorCpuPercent"])} | {N(r["errors"])} |");
            }

            Section();
            Section($"Ratio Fleet / mosquitto = **{N(ratio, "F2")}**. Target: ≥ 0.5 × mosquitto and ≥ 20,000 msg/s.");
            Section($"CPU per message: Fleet {N(fleet["serverCpuPercent"] * 10_000 / fleet["ackedPerSecond"], "F0")} µs, mosquitto {N(mosquitto["serverCpuPercent"] * 10_000 / mosquitto["ackedPerSecond"], "F0")} µs.");
            Section();
            Section($"    {fleet.Command}");
            Section($"    {mosquitto.Command}");
            Notes(fleet, Section);
            Notes(mosquitto, Section);
            rows.Add($"| P1 ingest | ≥ 0.5 × mosquitto, ≥ 20k msg/s | {N(fleet["ackedPerSecond"])} msg/s (mosquitto {N(mosquitto["ackedPerSecond"])}) | {N(ratio, "F2")} × mosquitto |");
        }
        else
        {
            Section("Not measured in this run (see the run log).");
            rows.Add("| P1 ingest | ≥ 0.5 × mosquitto, ≥ 20k msg/s | not measured | — |");
        }

        Section();

        // P2
        var commands = await Load("p2-fleet");
        var commandsLow = await Load("p2-fleet-low");
        var commandsReference = await Load("p2-mosquitto");
        Section("## P2 command round trip — HTTP → grain → MQTT → device → result → HTTP");
        Section();
        if (commands is not null)
        {
            Section("| path | commands/s offered | completed/s | p50 ms | p99 ms | max ms | failed |");
            Section("|---|---|---|---|---|---|---|");
            foreach (var (name, r) in new[] { ("Fleet: POST …/commands?wait=5s", commands), ("Fleet, at a lower rate", commandsLow), ("mosquitto request/response, same device clients", commandsReference) })
            {
                if (r is not null)
                {
                    Section($"| {name} | {N(r["offeredPerSecond"])} | {N(r["completedPerSecond"])} | {N(r["p50Ms"], "F1")} | **{N(r["p99Ms"], "F1")}** | {N(r["maxMs"], "F1")} | {N(r["failed"])} |");
                }
            }

            Section();
            Section("Target: p99 ≤ 10 ms at 1,000 commands/s.");
            Section();
            Section($"    {commands.Command}");
            foreach (var other in new[] { commandsLow, commandsReference })
            {
                if (other is not null)
                {
                    Section($"    {other.Command}");
                }
            }

            Notes(commands, Section);
            var ratio = commandsReference is null ? double.NaN : commands["p99Ms"] / commandsReference["p99Ms"];
            rows.Add($"| P2 command round trip | p99 ≤ 10 ms at 1,000/s | p99 {N(commands["p99Ms"], "F1")} ms (p50 {N(commands["p50Ms"], "F1")}) | {N(ratio, "F1")} × mosquitto's p99 |");
        }
        else
        {
            Section(args.Text("p2-note") ?? "Not measured in this run.");
            rows.Add("| P2 command round trip | p99 ≤ 10 ms | not measured (see P2) | — |");
        }

        Section();

        // P3
        var twins = await Load("p3");
        Section("## P3 resident twins — managed heap and RSS after a full GC");
        Section();
        if (twins is not null)
        {
            Section("| twins | activations | activated/s | managed heap MiB | RSS MiB | heap B/twin | RSS B/twin |");
            Section("|---|---|---|---|---|---|---|");
            Section($"| 0 (silo started) | | | {N(twins["baseHeapMiB"])} | {N(twins["baseRssMiB"])} | | |");
            var largest = double.NaN;
            foreach (var key in twins.Figures.Keys.Where(key => key.StartsWith("twins", StringComparison.Ordinal)).Select(key => key["twins".Length..]).OrderBy(key => int.Parse(key, CultureInfo.InvariantCulture)))
            {
                Section($"| {N(twins["twins" + key])} | {N(twins["activations" + key])} | {N(twins["activationPerSecond" + key])} | {N(twins["heapMiB" + key])} | {N(twins["rssMiB" + key])} | **{N(twins["heapBytesPerTwin" + key])}** | {N(twins["rssBytesPerTwin" + key])} |");
                largest = twins["heapBytesPerTwin" + key];
            }

            Section();
            Section($"Where a twin's bytes go: its state alone (the same TwinState objects built by the twin engine, held in a list, no Orleans) {N(twins["stateOnlyBytesPerTwin"])} B; " +
                    $"an activation of an empty grain (Orleans' catalog entry, activation data, grain object) {N(twins["emptyGrainBytes"])} B; " +
                    $"the rest ({N(largest - twins["stateOnlyBytesPerTwin"] - twins["emptyGrainBytes"])} B) is the twin grain around its state (persistent-state bridge, engine, timers, observers).");
            Section("Target: ≤ 4 KB (4,096 B) per resident twin.");
            Section();
            Section($"    {twins.Command}");
            Notes(twins, Section);
            rows.Add($"| P3 resident twins | ≤ 4,096 B/twin | {N(largest)} B heap per twin at the largest count | {(largest <= 4096 ? "met" : "missed")} |");
        }
        else
        {
            Section("Not measured in this run.");
            rows.Add("| P3 resident twins | ≤ 4 KB/twin | not measured | — |");
        }

        Section();

        // P4
        var writes = await Load("p4");
        Section("## P4 durable writes — twin writes reaching PostgreSQL, against pgbench");
        Section();
        if (writes is not null)
        {
            Section("| writer | clients | writes/s | p50 ms | p99 ms |");
            Section("|---|---|---|---|---|");
            Section($"| Fleet: desired change on a twin (returns after the row is committed) | {N(writes["clients"])} | **{N(writes["fleetWritesPerSecond"])}** | {N(writes["fleetP50Ms"], "F1")} | {N(writes["fleetP99Ms"], "F1")} |");
            Section($"| pgbench: single-row jsonb upsert | {N(writes["clients"])} | **{N(writes["pgbenchTps"])}** | | |");
            Section();
            Section($"Ratio Fleet / pgbench = **{N(writes["ratio"], "F2")}**. Target: ≥ 1 × pgbench.");
            Section();
            Section($"    {writes.Command}");
            Notes(writes, Section);
            rows.Add($"| P4 durable writes | ≥ 1 × pgbench upsert | {N(writes["fleetWritesPerSecond"])} writes/s (pgbench {N(writes["pgbenchTps"])} tps) | {N(writes["ratio"], "F2")} × pgbench |");
        }
        else
        {
            Section("Not measured in this run.");
            rows.Add("| P4 durable writes | ≥ 1 × pgbench | not measured | — |");
        }

        Section();
        var failover = await Load("p5");
        Section("## P5 failover — kill -9 of one of three silos on PostgreSQL");
        Section();
        if (failover is not null)
        {
            Section("| devices | silos | all devices reconnected | all twins answering online |");
            Section("|---|---|---|---|");
            Section($"| {N(failover["devices"])} | 3 | **{N(failover["reconnectedSeconds"], "F1")} s** after kill -9 | {N(failover["answeringSeconds"], "F1")} s after kill -9 |");
            Section();
            Section("The cluster acceptance test (test/Fleet.Cluster.Tests/FailoverTests.cs) is the measurement: three silo processes,");
            Section("simulated devices spread over them, operator load running through the kill; it also checks that nothing accepted is lost.");
            Section("Target: ≤ 15 s.");
            Section();
            Section($"    {failover.Command}");
            Notes(failover, Section);
            var verdict = failover["reconnectedSeconds"] <= 15 ? "met" : "missed";
            rows.Add($"| P5 failover | ≤ 15 s | {N(failover["reconnectedSeconds"], "F1")} s to every device reconnected ({N(failover["devices"])} devices) | {verdict} |");
        }
        else
        {
            Section(args.Text("p5-note") ?? "Not measured in this run.");
            rows.Add("| P5 failover | ≤ 15 s | not measured (see P5) | — |");
        }

        Section();

        // P6
        Section("## P6 fleet query — one page of 100 over the fleet index");
        Section();
        foreach (var store in new[] { "sqlite", "postgres" })
        {
            var query = await Load("p6-" + store);
            if (query is null)
            {
                Section($"{store}: not measured in this run.");
                Section();
                continue;
            }

            Section($"**{(store == "sqlite" ? "SQLite" : "PostgreSQL")}**, {N(query["devices"])} devices, {N(query["iterations"])} runs per query:");
            Section();
            Section("| query | items | p50 ms | p95 ms | max ms |");
            Section("|---|---|---|---|---|");
            var worst = 0.0;
            foreach (var name in query.Figures.Keys.Where(key => key.EndsWith(".p95", StringComparison.Ordinal)).Select(key => key[..^4]))
            {
                // The shapes issue 5 sets the target for; the others are shown for comparison.
                var targeted = name.StartsWith("q=", StringComparison.Ordinal) || name.StartsWith("online", StringComparison.Ordinal)
                    || name.StartsWith("bbox", StringComparison.Ordinal) || name == "kind+borough+fault";
                Section($"| {name}{(targeted ? string.Empty : " (no target)")} | {N(query[name + ".items"])} | {N(query[name + ".p50"], "F1")} | **{N(query[name + ".p95"], "F1")}** | {N(query[name + ".max"], "F1")} |");
                worst = targeted ? Math.Max(worst, query[name + ".p95"]) : worst;
            }

            Section();
            Section($"    {query.Command}");
            Section();
            Notes(query, Section);
            rows.Add($"| P6 fleet query ({(store == "sqlite" ? "SQLite" : "PostgreSQL")}) | p95 ≤ 50 ms | worst p95 of q=, online=false, bbox, kind+borough+fault: {N(worst, "F1")} ms over {N(query["devices"])} devices | {(worst <= 50 ? "met" : "missed")} |");
        }

        // P7
        var connections = await Load("p7");
        Section("## P7 connections — MQTT connections one silo holds");
        Section();
        if (connections is not null)
        {
            Section("| connections asked | held | connect/s | silo RSS before → after MiB | RSS per connection | silo open files |");
            Section("|---|---|---|---|---|---|");
            Section($"| {N(connections["devices"])} | **{N(connections["connected"])}** | {N(connections["connectPerSecond"])} | {N(connections["serverRssBeforeMiB"])} → {N(connections["serverRssMiB"])} | **{N(connections["rssBytesPerConnection"])} B** | {N(connections["serverOpenFiles"])} |");
            Section();
            Section("Target: ≥ 50,000. " + (args.Text("p7-note") ?? string.Empty));
            Section();
            Section($"    {connections.Command}");
            Notes(connections, Section);
            rows.Add($"| P7 connections | ≥ 50,000 | {N(connections["connected"])} held, {N(connections["rssBytesPerConnection"])} B RSS each | bounded here by the open-files limit (see P7) |");
        }
        else
        {
            Section("Not measured in this run.");
            rows.Add("| P7 connections | ≥ 50k | not measured | — |");
        }

        Section();
        var lag = await Load("lag");
        Section("## Fleet index lag (issue 5) — demo start-up burst on SQLite");
        Section();
        if (lag is not null)
        {
            Section($"Max lag from a twin change to the index transaction holding it: **{N(lag["maxLagMs"])} ms** ({N(lag["written"])} device rows in {N(lag["batches"])} batches; at most {N(lag["maxPending"])} devices waiting). Target: ≤ 2,000 ms.");
            Section();
            Section($"    {lag.Command}");
            rows.Add($"| index lag (demo burst, SQLite) | ≤ 2 s | max {N(lag["maxLagMs"])} ms | {(lag["maxLagMs"] <= 2000 ? "met" : "missed")} |");
        }
        else
        {
            Section("Not measured in this run.");
        }

        Section();
        text.Insert(summary, string.Join('\n', rows) + "\n\n");
        text.Append(sections);
        if (args.Text("findings") is { } findings && File.Exists(findings))
        {
            text.Append('\n').Append(await File.ReadAllTextAsync(findings, cancellationToken));
        }

        var output = args.Required("out");
        await File.WriteAllTextAsync(output, text.ToString(), cancellationToken);
        Console.WriteLine(text.ToString());
        return 0;
    }

    private static void Notes(BenchResult result, Action<string> line)
    {
        foreach (var note in result.Notes)
        {
            line(string.Empty);
            line("Note: " + note);
        }
    }

    private static IEnumerable<(string Name, string Value)> Machine(BenchArgs args)
    {
        static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        var cpu = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var memoryKiB = Read("/proc/meminfo").Split('\n').FirstOrDefault(line => line.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(':', 2)[1].Trim().Split(' ')[0];
        var memory = long.TryParse(memoryKiB, CultureInfo.InvariantCulture, out var kib) ? $"{kib / 1048576.0:F1} GiB" : "?";
        var os = Read("/etc/os-release").Split('\n').FirstOrDefault(line => line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?["PRETTY_NAME=".Length..].Trim('"') ?? RuntimeInformation.OSDescription;
        yield return ("date (UTC)", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        yield return ("CPU", $"{cpu}, {Environment.ProcessorCount} cores");
        yield return ("memory", memory);
        yield return ("OS", $"{os}, kernel {Read("/proc/sys/kernel/osrelease").Trim()}");
        yield return (".NET", RuntimeInformation.FrameworkDescription + ", Release build; the silo process with server GC, in-process silos (P3, P4) with workstation GC");
        yield return ("load average at start", args.Text("load", "?"));
        yield return ("open files limit (ulimit -n)", args.Text("nofile", "?"));
        yield return ("mosquitto", args.Text("mosquitto-version", "?"));
        yield return ("PostgreSQL", args.Text("postgres-version", "?"));
    }
}
