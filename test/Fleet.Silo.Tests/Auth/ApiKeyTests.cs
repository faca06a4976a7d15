using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using Fleet.Silo.Auth;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Auth;

/// <summary>Keys through the API: creation, what is shown and kept, the header forms, revocation and expiry.</summary>
[Collection(HostCollection.Name)]
public sealed class ApiKeyTests(HostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task ACreatedKeyIsShownOnceWorksForItsRoleAndIsKeptOnlyAsAHash()
    {
        var name = NewId("ops-desk");
        using var created = await Host.Http.PostAsJsonAsync("/api/keys", new { name, role = "operator" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var body = await ReadJsonAsync(created);
        var key = body["key"]!.GetValue<string>();
        var id = body["record"]!["id"]!.GetValue<string>();
        Assert.Matches("^fk_[A-Za-z0-9_-]{43}$", key);
        Assert.Matches("^[0-9a-f]{16}$", id);
        Assert.Equal($"/api/keys/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("operator", body["record"]!["role"]!.GetValue<string>());
        Assert.Equal("active", body["record"]!["status"]!.GetValue<string>());
        Assert.Equal("bootstrap", body["record"]!["createdBy"]!["name"]!.GetValue<string>());

        var (lamp, _) = await ProvisionLampAsync(Host.Http);
        using var patched = await Host.CreateClient(key).SendAsync(MergePatch($"/api/devices/lamp/{lamp}/desired", """{"level": 20}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);

        var listed = await Host.Http.GetStringAsync("/api/keys");
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        var entry = JsonNode.Parse(listed)!.AsArray().Single(item => item!["id"]!.GetValue<string>() == id)!;
        Assert.Equal(name, entry["name"]!.GetValue<string>());
        Assert.Null(entry["key"]);
        Assert.Null(entry["keyHash"]);
        Assert.True(JsonNode.Parse(listed)!.AsArray()[0]!["bootstrap"]!.GetValue<bool>());

        var database = Path.Combine(Host.DataDirectory, "fleet.db");
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
        Assert.Equal(1L, await SqliteAsync<long>(database, $"SELECT count(*) FROM fleet_api_keys WHERE id = '{id}' AND key_hash = '{hash}'"));
        Assert.Equal(0L, await SqliteAsync<long>(database, $"SELECT count(*) FROM fleet_api_keys WHERE key_hash LIKE '%{key[3..]}%' OR name LIKE '%{key[3..]}%'"));
    }

    [Theory]
    [InlineData("""{"role": "operator"}""", "'name'")]
    [InlineData("""{"name": "x", "role": "root"}""", "'role' must be one of admin, operator, maintenance, integration, not 'root'")]
    [InlineData("""{"name": "x"}""", "'role'")]
    [InlineData("""{"name": "x", "role": "operator", "expiresAt": "2001-01-01T00:00:00Z"}""", "'expiresAt'")]
    public async Task ABadKeyRequestIsRefusedNamingTheField(string json, string named)
    {
        using var response = await Host.Http.PostAsync("/api/keys", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, 400, named);
    }

    [Fact]
    public async Task TheKeyTravelsInXApiKeyOrAsAuthorizationApiKey()
    {
        var key = await Host.CreateKeyAsync(FleetRoles.Integration);
        var (lamp, _) = await ProvisionLampAsync(Host.Http);
        var url = $"/api/devices/lamp/{lamp}";
        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };

        async Task<HttpStatusCode> SendAsync(params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await anonymous.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await SendAsync(("X-Api-Key", key)));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(("Authorization", "ApiKey " + key)));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(("Authorization", "apikey " + key)));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(("X-Api-Key", key), ("Authorization", "ApiKey " + key)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(("Authorization", "Bearer " + key)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(("Authorization", "ApiKey")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(("X-Api-Key", key), ("Authorization", "ApiKey " + Host.AdminKey)));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(("X-Api-Key", key + "x")));
    }

    [Fact]
    public async Task ARevokedKeyIsRefusedAtOnceOnTheSiloThatRevokedIt()
    {
        using var created = await Host.Http.PostAsJsonAsync("/api/keys", new { name = "to-revoke", role = FleetRoles.Maintenance });
        var body = await ReadJsonAsync(created);
        var client = Host.CreateClient(body["key"]!.GetValue<string>());
        var id = body["record"]!["id"]!.GetValue<string>();
        var (lamp, _) = await ProvisionLampAsync(Host.Http);
        using (var before = await client.GetAsync($"/api/devices/lamp/{lamp}"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var revoked = await Host.Http.DeleteAsync($"/api/keys/{id}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        using var after = await client.GetAsync($"/api/devices/lamp/{lamp}");
        await AuthorizationMatrixTests.AssertUnauthorizedAsync(after, "a revoked key", "was revoked");
        var record = JsonNode.Parse(await Host.Http.GetStringAsync($"/api/keys/{id}"))!;
        Assert.Equal("revoked", record["status"]!.GetValue<string>());
        Assert.Equal("bootstrap", record["revokedBy"]!["name"]!.GetValue<string>());
        using var again = await Host.Http.DeleteAsync($"/api/keys/{id}");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        using var unknown = await Host.Http.DeleteAsync("/api/keys/0000000000000000");
        await AssertProblemAsync(unknown, 404);
    }

    [Fact]
    public async Task TheBootstrapKeyIsListedButNotRevocableThroughTheApi()
    {
        var keys = JsonNode.Parse(await Host.Http.GetStringAsync("/api/keys"))!.AsArray();
        var bootstrap = keys.Single(key => key!["bootstrap"]!.GetValue<bool>())!;
        Assert.Equal("admin", bootstrap["role"]!.GetValue<string>());

        using var refused = await Host.Http.DeleteAsync($"/api/keys/{bootstrap["id"]!.GetValue<string>()}");

        await AssertProblemAsync(refused, 409, "Fleet:Auth:BootstrapAdminKey");
    }

    [Fact]
    public async Task AnExpiredKeyIsRefusedEvenWhileItIsCached()
    {
        using var created = await Host.Http.PostAsJsonAsync("/api/keys", new
        {
            name = "short-lived",
            role = FleetRoles.Integration,
            expiresAt = DateTimeOffset.UtcNow.AddSeconds(2),
        });
        var client = Host.CreateClient((await ReadJsonAsync(created))["key"]!.GetValue<string>());
        var (lamp, _) = await ProvisionLampAsync(Host.Http);
        using (var first = await client.GetAsync($"/api/devices/lamp/{lamp}"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await Poll.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync($"/api/devices/lamp/{lamp}");
                return response.StatusCode == HttpStatusCode.Unauthorized
                    && (await response.Content.ReadAsStringAsync()).Contains("expired", StringComparison.Ordinal);
            },
            "the key to expire",
            TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task KeysAreCachedSoARevocationElsewhereShowsOnlyWhenTheCacheForgetsIt()
    {
        using var created = await Host.Http.PostAsJsonAsync("/api/keys", new { name = "revoked-elsewhere", role = FleetRoles.Integration });
        var body = await ReadJsonAsync(created);
        var client = Host.CreateClient(body["key"]!.GetValue<string>());
        var id = body["record"]!["id"]!.GetValue<string>();
        var (lamp, _) = await ProvisionLampAsync(Host.Http);
        using (var first = await client.GetAsync($"/api/devices/lamp/{lamp}"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // Another silo revokes it: only the table changes. This host's cache lives 30 s (the default).
        await Host.Service<ApiKeyStore>().RevokeAsync(id, DateTimeOffset.UtcNow, new KeyActor("other-silo", "other"), CancellationToken.None);
        using (var cached = await client.GetAsync($"/api/devices/lamp/{lamp}"))
        {
            Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        }

        Host.Service<ApiKeyValidator>().Forget(id);
        using var refused = await client.GetAsync($"/api/devices/lamp/{lamp}");
        await AuthorizationMatrixTests.AssertUnauthorizedAsync(refused, "a key revoked elsewhere", "was revoked");
    }

    internal static async Task<T> SqliteAsync<T>(string path, string sql)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await using (connection)
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            await using (command)
            {
                command.CommandText = sql;
                return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }
}
