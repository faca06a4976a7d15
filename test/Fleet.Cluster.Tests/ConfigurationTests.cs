namespace Fleet.Cluster.Tests;

/// <summary>Cluster settings that cannot work stop the silo at once with a message naming the setting.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fleet-config.").FullName;

    [Theory]
    [InlineData("", "ConnectionStrings:Fleet (environment ConnectionStrings__Fleet) must be the PostgreSQL connection string")]
    [InlineData("Host=127.0.0.1;Database=fleet;Colour=blue", "ConnectionStrings:Fleet (environment ConnectionStrings__Fleet) is not a valid PostgreSQL connection string")]
    public async Task PostgreSqlWithoutAUsableConnectionStringStopsTheStart(string connectionString, string message)
    {
        var output = await StartAndFailAsync(new Dictionary<string, string>
        {
            ["Fleet:Store"] = "PostgreSql",
            ["ConnectionStrings:Fleet"] = connectionString,
        });
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdvertisedAddressThatDoesNotResolveStopsTheStart()
    {
        var output = await StartAndFailAsync(new Dictionary<string, string>
        {
            ["Fleet:Store"] = "PostgreSql",
            ["ConnectionStrings:Fleet"] = "Host=127.0.0.1;Database=fleet",
            ["Fleet:Orleans:AdvertisedAddress"] = "no-such-host.invalid",
        });
        Assert.Contains("Fleet:Orleans:AdvertisedAddress 'no-such-host.invalid' gives no address to advertise", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownStoreStopsTheStart()
    {
        var output = await StartAndFailAsync(new Dictionary<string, string> { ["Fleet:Store"] = "Oracle" });
        Assert.Contains("Fleet:Store", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<string> StartAndFailAsync(Dictionary<string, string> settings)
    {
        settings["Fleet:Demo:Enabled"] = "false";
        settings["Fleet:Demo:LiveDevices"] = "false";
        await using var silo = new SiloProcess("silo", _directory, settings);
        silo.Start();
        var exitCode = await silo.WaitForExitAsync(TimeSpan.FromMinutes(1));
        var output = silo.LogTail(200);
        Assert.True(exitCode != 0, "the silo started although its settings cannot work:\n" + output);
        return output;
    }
}
