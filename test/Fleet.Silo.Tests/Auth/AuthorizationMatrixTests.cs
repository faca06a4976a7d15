using System.Net.Http.Json;
using System.Net;
using System.Text.RegularExpressions;
using System.Text;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Fleet.Silo.Tests.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Auth;

/// <summary>
/// The 401/403 matrix over every endpoint the app has, read from its EndpointDataSource: an endpoint
/// without an entry in <see cref="Matrix"/> fails the test, so a new endpoint cannot ship without
/// a declared policy. Adding one: map it with <c>.RequireAuthorization(FleetPolicies.X)</c> (and
/// <c>.Audited(action)</c> when it changes something), add its line here, and a request that
/// succeeds for an admitted role when the placeholder request would not.
/// </summary>
[Collection(HostCollection.Name)]
public sealed partial class AuthorizationMatrixTests(HostFixture fixture)
{
    /// <summary>
    /// Endpoints anyone may call: health probes, the OpenAPI document and its reference page with
    /// the page's assets, and MQTT over WebSocket with its negotiate route (devices authenticate
    /// with their secret in MQTT CONNECT).
    /// </summary>
    private static readonly string[] Anonymous =
        ["* /health/live", "* /health/ready", "GET /openapi/{documentName}.json", "* /mqtt", "* /mqtt/negotiate",
         "GET /api/docs/{documentName?}", "GET /api/docs/scalar.js", "GET /api/docs/scalar.aspnetcore.js", "GET /api/docs/favicon.svg"];

    /// <summary>"METHOD pattern" → the policy the endpoint must declare.</summary>
    private static readonly Dictionary<string, string> Matrix = new(StringComparer.Ordinal)
    {
        ["GET /api/devices/{kind}/{id}"] = FleetPolicies.Read,
        ["GET /api/devices/{kind}/{id}/history"] = FleetPolicies.Read,
        ["PATCH /api/devices/{kind}/{id}/desired"] = FleetPolicies.Operate,
        ["POST /api/devices/{kind}/{id}/commands"] = FleetPolicies.Maintain,
        ["GET /api/devices/{kind}/{id}/commands"] = FleetPolicies.Read,
        ["GET /api/devices/{kind}/{id}/commands/{commandId}"] = FleetPolicies.Read,
        ["DELETE /api/devices/{kind}/{id}/commands/{commandId}"] = FleetPolicies.Maintain,
        ["GET /api/commands/catalogue"] = FleetPolicies.Read,
        ["POST /api/jobs"] = FleetPolicies.Operate,
        ["GET /api/jobs"] = FleetPolicies.Read,
        ["GET /api/jobs/{id}"] = FleetPolicies.Read,
        ["DELETE /api/jobs/{id}"] = FleetPolicies.Operate,
        ["POST /api/devices"] = FleetPolicies.Admin,
        ["POST /api/devices/{kind}/{id}/secret"] = FleetPolicies.Admin,
        ["DELETE /api/devices/{kind}/{id}"] = FleetPolicies.Admin,
        ["POST /api/devices/import"] = FleetPolicies.Admin,
        ["POST /api/keys"] = FleetPolicies.Admin,
        ["GET /api/keys"] = FleetPolicies.Admin,
        ["GET /api/keys/{id}"] = FleetPolicies.Admin,
        ["DELETE /api/keys/{id}"] = FleetPolicies.Admin,
        ["GET /api/audit"] = FleetPolicies.Admin,
        ["GET /api/devices"] = FleetPolicies.Read,
        ["GET /api/devices/index"] = FleetPolicies.Read,
        ["POST /api/devices/index/rebuild"] = FleetPolicies.Admin,
        ["GET /api/boroughs"] = FleetPolicies.Read,
        ["GET /api/boroughs/{name}"] = FleetPolicies.Read,
        ["GET /api/alarms"] = FleetPolicies.Read,
        ["GET /api/alarms/{id}"] = FleetPolicies.Read,
        ["POST /api/alarms/{id}/ack"] = FleetPolicies.Maintain,
        ["GET /api/events"] = FleetPolicies.Read,
        ["GET /ngsi-ld/v1/entities"] = FleetPolicies.Read,
        ["GET /ngsi-ld/v1/entities/{id}"] = FleetPolicies.Read,
        ["GET /api/schedules"] = FleetPolicies.Read,
        ["GET /api/schedules/{id}"] = FleetPolicies.Read,
        ["PUT /api/schedules/{id}"] = FleetPolicies.Operate,
        ["DELETE /api/schedules/{id}"] = FleetPolicies.Operate,
        ["GET /api/me"] = FleetPolicies.Read,
        ["POST /api/session"] = FleetPolicies.Read,
        ["DELETE /api/session"] = FleetPolicies.Read,
    };

    /// <summary>Every endpoint of the Orleans dashboard (its pages, assets and data) is admin-only: it shows raw grain state.</summary>
    private const string OrleansDashboard = "/dashboard";

    /// <summary>The dashboard's live log stream, switched off (HideTrace): it refuses everyone, admins included.</summary>
    private const string OrleansDashboardTrace = "GET /dashboard/Trace";

    private FleetHost Host => fixture.Host;

    [Fact]
    public void EveryEndpointDeclaresThePolicyOfTheMatrix()
    {
        var problems = new List<string>();
        foreach (var endpoint in Endpoints())
        {
            if (Anonymous.Contains(endpoint.Key))
            {
                continue;
            }

            if (endpoint.Pattern.StartsWith("/api", StringComparison.OrdinalIgnoreCase) && endpoint.AllowsAnonymous)
            {
                problems.Add($"{endpoint.Key} allows anonymous access; every /api endpoint needs an API key.");
            }

            if (!TryGetPolicy(endpoint, out var expected))
            {
                problems.Add($"{endpoint.Key} is not in the role matrix: give it .RequireAuthorization(FleetPolicies.…) and a line in {nameof(AuthorizationMatrixTests)}.{nameof(Matrix)}.");
                continue;
            }

            if (!endpoint.Policies.SequenceEqual([expected]))
            {
                problems.Add($"{endpoint.Key} declares [{string.Join(", ", endpoint.Policies)}]; the matrix says {expected}.");
            }

            if (endpoint.Method is not ("GET" or "HEAD") && !endpoint.Audited)
            {
                problems.Add($"{endpoint.Key} changes something but is not .Audited(action).");
            }
        }

        var mapped = Endpoints().Select(endpoint => endpoint.Key).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(Matrix.Keys.Where(key => !mapped.Contains(key)).Select(key => $"{key} is in the matrix but not mapped."));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task WithoutAKeyEveryApiEndpointAnswers401AndAnonymousOnesAnswer()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };
        foreach (var endpoint in Endpoints())
        {
            using var request = Placeholder(endpoint);
            using var response = await anonymous.SendAsync(request);
            if (Anonymous.Contains(endpoint.Key))
            {
                Assert.False(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{endpoint.Key} must stay anonymous, answered {response.StatusCode}");
                continue;
            }

            await AssertUnauthorizedAsync(response, endpoint.Key);
        }
    }

    [Fact]
    public async Task AnUnknownKeyIsRefusedEverywhere()
    {
        foreach (var key in new[] { "fk_" + new string('A', 43), "not-a-fleet-key-but-long-enough-to-be-one", "x" })
        {
            var client = Host.CreateClient(key);
            foreach (var endpoint in Endpoints().Where(endpoint => !Anonymous.Contains(endpoint.Key)))
            {
                using var request = Placeholder(endpoint);
                using var response = await client.SendAsync(request);
                await AssertUnauthorizedAsync(response, endpoint.Key, "not valid");
            }
        }
    }

    [Fact]
    public async Task EachRoleIsAdmittedOrForbiddenAsTheMatrixSays()
    {
        var scenario = await Scenario.CreateAsync(Host);
        var failures = new List<string>();
        foreach (var role in FleetRoles.All)
        {
            var client = await Host.ClientWithRoleAsync(role);
            foreach (var endpoint in Endpoints().Where(endpoint => !Anonymous.Contains(endpoint.Key)))
            {
                if (endpoint.Key == OrleansDashboardTrace && role == FleetRoles.Admin)
                {
                    continue;
                }

                TryGetPolicy(endpoint, out var policy);
                var (request, succeeds) = await scenario.RequestAsync(endpoint);
                using (request)
                {
                    using var response = await client.SendAsync(request);
                    var status = (int)response.StatusCode;
                    if (!FleetPolicies.Admits(policy, role))
                    {
                        if (status != 403)
                        {
                            failures.Add($"{role} → {endpoint.Key}: expected 403, got {status}");
                        }
                        else
                        {
                            await AssertProblemAsync(response, 403, $"has the role {role}");
                        }
                    }
                    else if (succeeds ? status is < 200 or > 299 : status is 401 or 403)
                    {
                        failures.Add($"{role} → {endpoint.Key}: expected {(succeeds ? "2xx" : "neither 401 nor 403")}, got {status} {await response.Content.ReadAsStringAsync()}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task WithoutAKeyAPatchIs401AndAnIntegrationKeyMayNotOperate()
    {
        var (id, _) = await ProvisionLampAsync(Host.Http);
        var url = $"/api/devices/lamp/{id}/desired";
        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };

        using var withoutKey = await anonymous.SendAsync(MergePatch(url, """{"level": 40}"""));
        await AssertUnauthorizedAsync(withoutKey, "PATCH desired");

        var integration = await Host.ClientWithRoleAsync(FleetRoles.Integration);
        using var forbidden = await integration.SendAsync(MergePatch(url, """{"level": 40}"""));
        await AssertProblemAsync(forbidden, 403, "needs operator or admin");

        using var read = await integration.GetAsync($"/api/devices/lamp/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Empty((await ReadJsonAsync(read))["desired"]!.AsObject());
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheApiKeyScheme()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };

        var document = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;

        var scheme = document["components"]!["securitySchemes"]!["ApiKey"]!;
        Assert.Equal("apiKey", scheme["type"]!.GetValue<string>());
        Assert.Equal("X-Api-Key", scheme["name"]!.GetValue<string>());
        var patch = document["paths"]!["/api/devices/{kind}/{id}/desired"]!["patch"]!;
        Assert.NotNull(patch["security"]);
        Assert.Contains("Roles: admin, operator.", patch["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(patch["responses"]!["403"]);
    }

    internal static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string what, string? detailContains = null)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: expected 401, got {response.StatusCode}");
        Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.Single().Scheme);
        await AssertProblemAsync(response, 401, detailContains);
    }

    private IEnumerable<EndpointInfo> Endpoints()
    {
        var source = (EndpointDataSource)Host.Services.GetService(typeof(EndpointDataSource))!;
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? string.Empty).Trim('/');
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(data => data.Policy).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            var allowsAnonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null || endpoint.Metadata.GetMetadata<IAuthorizeData>() is null;
            var audited = endpoint.Metadata.GetMetadata<AuditedAttribute>() is not null;
            foreach (var method in methods)
            {
                yield return new EndpointInfo(method, pattern, policies, allowsAnonymous, audited);
            }
        }
    }

    private static bool TryGetPolicy(EndpointInfo endpoint, out string policy)
    {
        if (endpoint.Pattern.StartsWith(OrleansDashboard + "/", StringComparison.Ordinal) || endpoint.Pattern == OrleansDashboard)
        {
            policy = FleetPolicies.Admin;
            return true;
        }

        return Matrix.TryGetValue(endpoint.Key, out policy!);
    }

    /// <summary>A request with every route value filled in; it may fail in the handler, but never in authentication.</summary>
    private static HttpRequestMessage Placeholder(EndpointInfo endpoint)
    {
        var url = RouteValue().Replace(endpoint.Pattern, match => match.Groups[1].Value switch
        {
            "kind" => "lamp",
            "documentName" => "v1",
            "page" => "1",
            _ => "DU-L-MATRIX-NONE",
        });
        var request = new HttpRequestMessage(new HttpMethod(endpoint.Method == "*" ? "GET" : endpoint.Method), url);
        if (endpoint.Method is not ("GET" or "HEAD" or "DELETE" or "*"))
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return request;
    }

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex RouteValue();

    private sealed record EndpointInfo(string Method, string Pattern, IReadOnlyList<string> Policies, bool AllowsAnonymous, bool Audited)
    {
        public string Key => $"{Method} {Pattern}";
    }

    /// <summary>Requests that succeed for an admitted role, each on fresh data where it consumes some.</summary>
    private sealed class Scenario
    {
        private readonly FleetHost _host;
        private readonly string _lamp;

        private Scenario(FleetHost host, string lamp)
        {
            _host = host;
            _lamp = lamp;
        }

        public static async Task<Scenario> CreateAsync(FleetHost host)
        {
            var (lamp, _) = await ProvisionLampAsync(host.Http);
            return new Scenario(host, lamp);
        }

        /// <summary>The request for the endpoint, and whether it should succeed (2xx) for an admitted role.</summary>
        public async Task<(HttpRequestMessage Request, bool Succeeds)> RequestAsync(EndpointInfo endpoint)
        {
            HttpRequestMessage Json(HttpMethod method, string url, object body) => new(method, url) { Content = JsonContent.Create(body) };

            switch (endpoint.Key)
            {
                case "GET /api/devices/{kind}/{id}":
                    return (new(HttpMethod.Get, $"/api/devices/lamp/{_lamp}"), true);
                case "GET /api/devices/{kind}/{id}/history":
                    return (new(HttpMethod.Get, $"/api/devices/lamp/{_lamp}/history"), true);
                case "PATCH /api/devices/{kind}/{id}/desired":
                    return (MergePatch($"/api/devices/lamp/{_lamp}/desired", """{"level": 30}"""), true);
                case "POST /api/devices/{kind}/{id}/commands":
                    return (Json(HttpMethod.Post, $"/api/devices/lamp/{_lamp}/commands", new { name = "blink", args = new { seconds = 5 } }), true);
                case "GET /api/devices/{kind}/{id}/commands":
                    return (new(HttpMethod.Get, $"/api/devices/lamp/{_lamp}/commands"), true);
                case "GET /api/devices/{kind}/{id}/commands/{commandId}":
                    return (new(HttpMethod.Get, $"/api/devices/lamp/{_lamp}/commands/{await NewCommandIdAsync()}"), true);
                case "DELETE /api/devices/{kind}/{id}/commands/{commandId}":
                    return (new(HttpMethod.Delete, $"/api/devices/lamp/{_lamp}/commands/{await NewCommandIdAsync()}"), true);
                case "GET /api/commands/catalogue":
                    return (new(HttpMethod.Get, "/api/commands/catalogue"), true);
                case "POST /api/jobs":
                    return (Json(HttpMethod.Post, "/api/jobs", JobBody()), true);
                case "GET /api/jobs":
                    return (new(HttpMethod.Get, "/api/jobs?limit=5"), true);
                case "GET /api/jobs/{id}":
                    return (new(HttpMethod.Get, $"/api/jobs/{await NewJobIdAsync()}"), true);
                case "DELETE /api/jobs/{id}":
                    return (new(HttpMethod.Delete, $"/api/jobs/{await NewJobIdAsync()}"), true);
                case "POST /api/devices":
                    return (Json(HttpMethod.Post, "/api/devices", LampBody(NewId("DU-L"))), true);
                case "POST /api/devices/{kind}/{id}/secret":
                    return (new(HttpMethod.Post, $"/api/devices/lamp/{_lamp}/secret"), true);
                case "DELETE /api/devices/{kind}/{id}":
                    var (doomed, _) = await ProvisionLampAsync(_host.Http);
                    return (new(HttpMethod.Delete, $"/api/devices/lamp/{doomed}"), true);
                case "POST /api/devices/import":
                    var csv = $"kind,id,borough,lat,lon,ratedWatts\nlamp,{NewId("DU-L")},Mitte,51.43,6.76,60\n";
                    return (new(HttpMethod.Post, "/api/devices/import") { Content = new StringContent(csv, Encoding.UTF8, "text/csv") }, true);
                case "POST /api/keys":
                    return (Json(HttpMethod.Post, "/api/keys", new { name = "matrix", role = FleetRoles.Integration }), true);
                case "GET /api/keys":
                    return (new(HttpMethod.Get, "/api/keys"), true);
                case "GET /api/keys/{id}":
                    return (new(HttpMethod.Get, $"/api/keys/{await NewKeyIdAsync()}"), true);
                case "DELETE /api/keys/{id}":
                    return (new(HttpMethod.Delete, $"/api/keys/{await NewKeyIdAsync()}"), true);
                case "GET /api/audit":
                    return (new(HttpMethod.Get, "/api/audit?limit=5"), true);
                case "GET /api/devices":
                    return (new(HttpMethod.Get, "/api/devices?kind=lamp&limit=5"), true);
                case "GET /api/devices/index":
                    return (new(HttpMethod.Get, "/api/devices/index"), true);
                case "POST /api/devices/index/rebuild":
                    return (new(HttpMethod.Post, "/api/devices/index/rebuild"), true);
                case "GET /api/boroughs":
                    return (new(HttpMethod.Get, "/api/boroughs"), true);
                case "GET /api/boroughs/{name}":
                    return (new(HttpMethod.Get, "/api/boroughs/Mitte"), true);
                case "GET /api/alarms":
                    return (new(HttpMethod.Get, "/api/alarms?limit=1"), true);
                case "GET /api/events":
                    // A bad filter answers at once (400) after authorization; a valid one would stream forever.
                    return (new(HttpMethod.Get, "/api/events?types=matrix"), false);
                case "GET /api/me":
                    return (new(HttpMethod.Get, "/api/me"), true);
                case "POST /api/session":
                    return (new(HttpMethod.Post, "/api/session"), true);
                case "DELETE /api/session":
                    return (new(HttpMethod.Delete, "/api/session"), true);
                case "GET /dashboard/DashboardCounters":
                    return (new(HttpMethod.Get, "/dashboard/DashboardCounters"), true);
                case "GET /ngsi-ld/v1/entities":
                    return (new(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Streetlight&limit=1"), true);
                case "GET /api/schedules":
                    return (new(HttpMethod.Get, "/api/schedules"), true);
                case "GET /api/schedules/{id}":
                    return (new(HttpMethod.Get, $"/api/schedules/{await NewScheduleIdAsync()}"), true);
                case "PUT /api/schedules/{id}":
                    return (Json(HttpMethod.Put, $"/api/schedules/{NewId("matrix")}", ScheduleBody(_lamp)), true);
                case "DELETE /api/schedules/{id}":
                    return (new(HttpMethod.Delete, $"/api/schedules/{await NewScheduleIdAsync()}"), true);
                default:
                    return (Placeholder(endpoint), false);
            }
        }

        /// <summary>A blink queued for the scenario's lamp (never connected, so it stays queued).</summary>
        private async Task<string> NewCommandIdAsync()
        {
            using var response = await _host.Http.PostAsJsonAsync($"/api/devices/lamp/{_lamp}/commands", new { name = "blink", args = new { seconds = 5 } });
            return (await ReadJsonAsync(response))["id"]!.GetValue<string>();
        }

        private static object ScheduleBody(string lamp) => new { ids = new[] { lamp }, steps = new[] { new { at = "sunset", level = 80 } } };

        /// <summary>A schedule for the scenario's lamp, set as admin.</summary>
        private async Task<string> NewScheduleIdAsync()
        {
            var id = NewId("matrix");
            using var response = await _host.Http.PutAsJsonAsync($"/api/schedules/{id}", ScheduleBody(_lamp));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return id;
        }

        /// <summary>A slow job over the scenario's lamp, still running when it is read or cancelled.</summary>
        private object JobBody() => new { target = new { kind = "lamp", ids = new[] { _lamp } }, command = new { name = "blink", args = new { seconds = 5 } }, ratePerSecond = 1 };

        private async Task<string> NewJobIdAsync()
        {
            using var response = await _host.Http.PostAsJsonAsync("/api/jobs", JobBody());
            return (await ReadJsonAsync(response))["id"]!.GetValue<string>();
        }

        private async Task<string> NewKeyIdAsync()
        {
            using var response = await _host.Http.PostAsJsonAsync("/api/keys", new { name = "matrix-target", role = FleetRoles.Integration });
            return (await ReadJsonAsync(response))["record"]!["id"]!.GetValue<string>();
        }
    }
}
