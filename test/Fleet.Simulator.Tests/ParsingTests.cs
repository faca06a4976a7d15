using System.Net;
using Fleet.Simulator.Cli;
using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Tests;

public sealed class ParsingTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("10s", 10_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2.5", 2_500)]
    [InlineData("00:01:00", 60_000)]
    public void ParsesDurations(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CliValues.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("5x")]
    [InlineData("ten seconds")]
    [InlineData("-3s")]
    public void RefusesWhatIsNotADuration(string text) =>
        Assert.Throws<FormatException>(() => CliValues.ParseDuration(text));

    [Fact]
    public void ParsesDurationRanges()
    {
        Assert.Equal((TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200)), CliValues.ParseDurationRange("20ms-200ms"));
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), CliValues.ParseDurationRange("1s"));
        Assert.Throws<FormatException>(() => CliValues.ParseDurationRange("2s-1s"));
    }

    [Fact]
    public void ParsesEndpointLists()
    {
        var endpoints = MqttEndpoint.ParseList("127.0.0.1:1883, silo-2:1884,[::1]:1885,localhost");

        Assert.Equal(
            [new("127.0.0.1", 1883), new("silo-2", 1884), new("::1", 1885), new("localhost", 1883)],
            endpoints);
        Assert.Equal("[::1]:1885", endpoints[2].ToString());
        Assert.IsType<IPEndPoint>(endpoints[0].ToEndPoint());
        Assert.IsType<DnsEndPoint>(endpoints[1].ToEndPoint());
        Assert.Throws<FormatException>(() => MqttEndpoint.Parse("127.0.0.1:99999"));
        Assert.Throws<FormatException>(() => MqttEndpoint.ParseList(" , "));
    }

    [Fact]
    public void ParsesSourceAddressRangesAndLists()
    {
        var addresses = SourceAddresses.Parse("127.0.0.1-127.0.0.8");

        Assert.Equal(8, addresses.Count);
        Assert.Equal(IPAddress.Parse("127.0.0.1"), addresses[0]);
        Assert.Equal(IPAddress.Parse("127.0.0.8"), addresses[^1]);
        Assert.Equal(["127.0.0.255", "127.0.1.0", "10.0.0.1"], SourceAddresses.Parse("127.0.0.255-127.0.1.0,10.0.0.1").Select(a => a.ToString()));
        Assert.Throws<FormatException>(() => SourceAddresses.Parse("127.0.0.8-127.0.0.1"));
        Assert.Throws<FormatException>(() => SourceAddresses.Parse("localhost"));
    }

    [Fact]
    public void ReadsTheDemoCredentialsFile()
    {
        var devices = CredentialsFile.Parse(
            "\uFEFF" + """
            kind,id,secret
            lamp,DU-L-000001,abc

            # a comment
            Parking,DU-P-000001,"with,comma"
            """);

        Assert.Equal([new("lamp", "DU-L-000001", "abc"), new("parking", "DU-P-000001", "with,comma")], devices);
        Assert.Equal("lamp/DU-L-000001", devices[0].UserName);
    }

    [Fact]
    public void ReadsTheOptionalColumnsInAnyOrder()
    {
        var devices = CredentialsFile.Parse(
            """
            secret,borough,kind,id,ratedW,medium
            s1,Mitte,lamp,L1,90,
            s2,,meter,M1,,Gas
            """);

        Assert.Equal(90, devices[0].RatedWatts);
        Assert.Equal("Mitte", devices[0].Borough);
        Assert.Null(devices[1].RatedWatts);
        Assert.Equal("gas", devices[1].Medium);
    }

    [Theory]
    [InlineData("kind,id\nlamp,L1", "no 'secret' column")]
    [InlineData("kind,id,secret\ntoaster,T1,s", "line 2: unknown kind 'toaster'")]
    [InlineData("kind,id,secret\nlamp,,s", "line 2: the id is empty")]
    [InlineData("", "no header")]
    public void NamesTheProblemInABadCredentialsFile(string text, string problem)
    {
        var exception = Assert.Throws<FormatException>(() => CredentialsFile.Parse(text, "demo.csv"));
        Assert.Contains(problem, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectsAMixOfKindsInTheFilesProportions()
    {
        var all = Enumerable.Range(0, 40).Select(i => new DeviceCredentials("lamp", $"L{i}", "s"))
            .Concat(Enumerable.Range(0, 10).Select(i => new DeviceCredentials("parking", $"P{i}", "s")))
            .Concat(Enumerable.Range(0, 50).Select(i => new DeviceCredentials("meter", $"M{i}", "s")))
            .ToList();

        var ten = Simulation.Select(all, count: 10);
        var meters = Simulation.Select(all, kinds: ["meter", "parking"], count: 6);

        Assert.Equal(4, ten.Count(d => d.Kind == "lamp"));
        Assert.Equal(1, ten.Count(d => d.Kind == "parking"));
        Assert.Equal(5, ten.Count(d => d.Kind == "meter"));
        Assert.Equal("L0", ten.First(d => d.Kind == "lamp").Id);
        Assert.Equal(6, meters.Count);
        Assert.DoesNotContain(meters, d => d.Kind == "lamp");
        Assert.Equal(100, Simulation.Select(all).Count);
    }

    [Fact]
    public void KnowsItsTopics()
    {
        var topics = new DeviceTopics("meter", "DU-M-000001");

        Assert.Equal("fleet/meter/DU-M-000001/telemetry", topics.Telemetry);
        Assert.Equal("fleet/meter/DU-M-000001/commands/+", topics.Commands);
        Assert.Equal("fleet/meter/DU-M-000001/commands/c1/result", topics.Result("c1"));
        Assert.True(topics.TryParseCommand("fleet/meter/DU-M-000001/commands/c1", out var id));
        Assert.Equal("c1", id);
        Assert.False(topics.TryParseCommand("fleet/meter/DU-M-000001/commands/c1/result", out _));
        Assert.False(topics.TryParseCommand("fleet/meter/DU-M-000002/commands/c1", out _));
    }
}
