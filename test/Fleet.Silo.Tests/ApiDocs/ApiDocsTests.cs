using System.Net;
using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;
using Microsoft.AspNetCore.Routing;

namespace Fleet.Silo.Tests.ApiDocs;

/// <summary>The OpenAPI document describes every endpoint the app maps (summary, errors, 401/403), and /api/docs renders it.</summary>
[Collection(HostCollection.Name)]
public sealed class ApiDocsTests(HostFixture fixture)
{
    /// <summary>Endpoints that are not part of the API: probes, the documents themselves, MQTT, the dashboard.</summary>
    private static readonly string[] NotApi = ["/health", "/openapi", "/mqtt", "/api/docs", "/dashboard"];

    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task TheReferencePageRendersWithoutAKey()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };
        using var response = await anonymous.GetAsync("/api/docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.Contains("Fleet API", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOpenApiDocumentListsEveryEndpointWithASummaryAndItsErrors()
    {
        using var anonymous = new HttpClient { BaseAddress = Host.Http.BaseAddress };
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject();
        var problems = new List<string>();

        var source = (EndpointDataSource)Host.Services.GetService(typeof(EndpointDataSource))!;
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? string.Empty).Trim('/');
            if (NotApi.Any(prefix => pattern.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
            {
                var operation = paths[pattern]?[method.ToLowerInvariant()];
                if (operation is null)
                {
                    problems.Add($"{method} {pattern} is not in /openapi/v1.json");
                    continue;
                }

                if (operation["summary"] is null)
                {
                    problems.Add($"{method} {pattern} has no summary");
                }

                // Whatever takes input (path, query, body) documents how bad input is answered.
                var responses = operation["responses"]!.AsObject();
                var takesInput = operation["parameters"] is JsonArray { Count: > 0 } || operation["requestBody"] is not null;
                var errors = responses
                    .Where(response => response.Key.StartsWith('4') && response.Key is not ("401" or "403"))
                    .Where(response => response.Value?["content"]?["application/problem+json"] is not null)
                    .ToList();
                if (takesInput && errors.Count == 0)
                {
                    problems.Add($"{method} {pattern} takes input but documents no ProblemDetails error response (ProducesProblem)");
                }

                if (responses["401"] is null || responses["403"] is null)
                {
                    problems.Add($"{method} {pattern} does not document 401 and 403");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
