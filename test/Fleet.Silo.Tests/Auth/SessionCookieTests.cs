using System.Net.Http.Json;
using System.Net;
using Fleet.Silo.Auth;
using Fleet.Silo.Dashboard;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Auth;

/// <summary>
/// GET /api/me and the browser session: POST /api/session turns a header key into an HttpOnly,
/// SameSite=Strict cookie that authenticates reads (the Orleans dashboard) and nothing else.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class SessionCookieTests(HostFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task MeTellsAKeyItsNameRoleAndPolicies()
    {
        var crew = await Host.ClientWithRoleAsync(FleetRoles.Maintenance, "crew-north");

        var me = await ReadJsonAsync(await crew.GetAsync("/api/me"));

        Assert.Equal("crew-north", me["name"]!.GetValue<string>());
        Assert.Equal(FleetRoles.Maintenance, me["role"]!.GetValue<string>());
        Assert.True(me["may"]!["maintain"]!.GetValue<bool>());
        Assert.False(me["may"]!["operate"]!.GetValue<bool>());
        Assert.False(me["may"]!["admin"]!.GetValue<bool>());
    }

    [Fact]
    public async Task TheSessionCookieOpensTheOrleansDashboardForAnAdminOnly()
    {
        var cookie = await SignInAsync(Host.AdminKey);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var admin = CookieClient(cookie);
        using var page = await admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans Dashboard", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var state = await admin.GetAsync("/dashboard/DashboardCounters");
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);

        using var crew = CookieClient(await SignInAsync(await Host.CreateKeyAsync(FleetRoles.Maintenance)));
        await AssertProblemAsync(await crew.GetAsync("/dashboard/"), 403, "needs admin");

        using var nobody = new HttpClient { BaseAddress = Host.Http.BaseAddress };
        await AuthorizationMatrixTests.AssertUnauthorizedAsync(await nobody.GetAsync("/dashboard/GrainState"), "the dashboard without a key");
    }

    [Fact]
    public async Task TheCookieAloneChangesNothing()
    {
        using var admin = CookieClient(await SignInAsync(Host.AdminKey));

        using var create = await admin.PostAsJsonAsync("/api/keys", new { name = "by-cookie", role = FleetRoles.Admin });

        await AuthorizationMatrixTests.AssertUnauthorizedAsync(create, "POST with only the session cookie");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task SigningOutRemovesTheCookieAndARevokedKeyEndsTheSession()
    {
        var key = await Host.CreateKeyAsync(FleetRoles.Admin, "short-lived");
        using var browser = CookieClient(await SignInAsync(key));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/me")).StatusCode);

        var id = (await ReadJsonAsync(await browser.GetAsync("/api/me")))["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Http.DeleteAsync($"/api/keys/{id}")).StatusCode);

        await AuthorizationMatrixTests.AssertUnauthorizedAsync(await browser.GetAsync("/dashboard/"), "a revoked key's session", "revoked");
        using var ui = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode); // a stale cookie never locks anyone out of the sign-in page
        Assert.Contains("Sign in", await ui.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", ui.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/api/session");
        signOut.Headers.Add(FleetHost.ApiKeyHeader, Host.AdminKey);
        using var ended = await Host.CreateClient(null).SendAsync(signOut);
        Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        Assert.Contains(ended.Headers.GetValues("Set-Cookie"), value => value.StartsWith(SessionCookie.Name + "=;", StringComparison.Ordinal));
    }

    /// <summary>Signs in with the key in the header and returns the Set-Cookie header.</summary>
    private async Task<string> SignInAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/session");
        request.Headers.Add(FleetHost.ApiKeyHeader, key);
        using var response = await Host.CreateClient(null).SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Set-Cookie"), value => value.StartsWith(SessionCookie.Name + "=", StringComparison.Ordinal));
    }

    /// <summary>A client that sends the session cookie and no key header, like a browser navigating.</summary>
    private HttpClient CookieClient(string setCookie)
    {
        var client = Host.CreateClient(null);
        client.DefaultRequestHeaders.Add("Cookie", setCookie.Split(';')[0]);
        return client;
    }
}
