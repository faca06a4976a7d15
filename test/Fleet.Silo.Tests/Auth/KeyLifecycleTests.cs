using System.Net.Http.Json;
using System.Net;
using Fleet.Silo.Auth;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Auth;

/// <summary>Hosts of their own: the bootstrap key file, settings that stop the start, and the cache bound on revocation.</summary>
public sealed class KeyLifecycleTests
{
    [Fact]
    public async Task WithoutAConfiguredKeyOneIsGeneratedIntoTheDataDirectoryOnceAndReused()
    {
        await using var host = new FleetHost(new Dictionary<string, string> { ["Fleet:Auth:BootstrapAdminKey"] = string.Empty });
        await host.StartAsync();
        var file = Path.Combine(host.DataDirectory, "admin-key.txt");

        Assert.True(File.Exists(file));
        var key = (await File.ReadAllTextAsync(file)).Trim();
        Assert.Matches("^fk_[A-Za-z0-9_-]{43}$", key);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using (var provisioned = await host.CreateClient(key).PostAsJsonAsync("/api/devices", LampBody(NewId("DU-L"))))
        {
            Assert.Equal(HttpStatusCode.Created, provisioned.StatusCode);
        }

        var written = File.GetLastWriteTimeUtc(file);
        await host.RestartAsync();

        Assert.Equal(key, (await File.ReadAllTextAsync(file)).Trim());
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));
        using var keys = await host.CreateClient(key).GetAsync("/api/keys");
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Fact]
    public async Task AConfiguredKeyIsUsedAndNoFileIsWritten()
    {
        var configured = "a-configured-admin-key-" + Guid.NewGuid().ToString("N");
        await using var host = new FleetHost(new Dictionary<string, string> { ["Fleet:Auth:BootstrapAdminKey"] = configured });
        await host.StartAsync();

        Assert.False(File.Exists(Path.Combine(host.DataDirectory, "admin-key.txt")));
        using var keys = await host.CreateClient(configured).GetAsync("/api/keys");
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Theory]
    [InlineData("Fleet:Auth:BootstrapAdminKey", "too-short")]
    [InlineData("Fleet:Auth:KeyCacheTtl", "01:00:00")]
    [InlineData("Fleet:Audit:FlushInterval", "00:00:00")]
    [InlineData("Fleet:Audit:BatchSize", "0")]
    public async Task ABadSettingStopsTheStartNamingIt(string setting, string value)
    {
        await using var host = new FleetHost(new Dictionary<string, string> { [setting] = value });

        var failure = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);

        Assert.Contains(setting, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("too-short", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARevocationMadeElsewhereTakesEffectWithinTheCacheTime()
    {
        await using var host = new FleetHost(new Dictionary<string, string> { ["Fleet:Auth:KeyCacheTtl"] = "00:00:01" });
        await host.StartAsync();
        using var created = await host.Http.PostAsJsonAsync("/api/keys", new { name = "revoked-in-the-table", role = FleetRoles.Operator });
        var body = await ReadJsonAsync(created);
        var client = host.CreateClient(body["key"]!.GetValue<string>());
        using (var first = await client.GetAsync("/api/devices/lamp/DU-L-NONE"))
        {
            Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        }

        // As another silo would: the table changes, this silo's cache is not told.
        await host.Service<ApiKeyStore>().RevokeAsync(
            body["record"]!["id"]!.GetValue<string>(), DateTimeOffset.UtcNow, new KeyActor("other-silo", "other"), CancellationToken.None);

        await Poll.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync("/api/devices/lamp/DU-L-NONE");
                return response.StatusCode == HttpStatusCode.Unauthorized;
            },
            "the revocation to pass the 1 s key cache",
            TimeSpan.FromSeconds(15));
    }
}
