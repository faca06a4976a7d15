using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Fleet.Silo.Auth;

/// <summary>Puts the ApiKey scheme in the OpenAPI document, and on every operation its roles, 401 and 403.</summary>
public static class ApiKeyOpenApi
{
    public static OpenApiOptions AddApiKeySecurity(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "An API key (or 'Authorization: ApiKey <key>'). Roles: admin, operator, maintenance, integration.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var policies = context.Description.ActionDescriptor.EndpointMetadata
                .OfType<IAuthorizeData>()
                .Select(data => data.Policy)
                .OfType<string>()
                .ToList();
            if (policies.Count == 0)
            {
                return Task.CompletedTask;
            }

            var roles = FleetRoles.All.Where(role => policies.All(policy => FleetPolicies.Admits(policy, role)));
            operation.Description = (operation.Description is { Length: > 0 } description ? description + "\n\n" : string.Empty)
                + "Roles: " + string.Join(", ", roles) + ".";
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [],
            });
            operation.Responses ??= [];
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No API key, or one that is unknown, revoked or expired (ProblemDetails)." });
            operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The key's role may not do this (ProblemDetails)." });
            return Task.CompletedTask;
        });
        return options;
    }
}
