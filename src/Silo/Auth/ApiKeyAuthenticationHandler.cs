using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Fleet.Silo.Auth;

public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// The "ApiKey" authentication scheme: a key in <c>X-Api-Key</c> or <c>Authorization: ApiKey &lt;key&gt;</c>;
/// for GET and HEAD only, also the browser session cookie that <c>POST /api/session</c> sets
/// (<see cref="Dashboard.SessionCookie"/>) — a cookie can read and follow, never change anything.
/// No key → the request is anonymous (the endpoint's policy then challenges: 401 with
/// <c>WWW-Authenticate: ApiKey</c>); an unknown, revoked or expired key → 401; every answer is ProblemDetails.
/// </summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyValidator validator,
    IProblemDetailsService problems)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    private const string HowToSend = "Send an API key in the X-Api-Key header or as 'Authorization: ApiKey <key>'.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (key, malformed) = ReadKey(Request.Headers);
        if (malformed is not null)
        {
            return AuthenticateResult.Fail(malformed);
        }

        key ??= Dashboard.SessionCookie.Read(Request);
        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }

        var check = await validator.CheckAsync(key, Context.RequestAborted);
        if (check.Actor is not { } actor)
        {
            LogRefused(Logger, Request.Method, Request.Path.Value, check.Refusal!);
            return AuthenticateResult.Fail(check.Refusal!);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(actor.ToPrincipal(Scheme.Name), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = SchemeName;
        var detail = result.Failure is { } failure ? failure.Message + " " + HowToSend : "This endpoint needs an API key. " + HowToSend;
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "An API key is required.", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden.", "This API key may not do this.");

    /// <summary>The key of a request, or why its headers are not acceptable.</summary>
    internal static (string? Key, string? Malformed) ReadKey(IHeaderDictionary headers)
    {
        string? fromHeader = null;
        var values = headers[HeaderName];
        if (values.Count > 1)
        {
            return (null, "Send one X-Api-Key header, not several.");
        }

        if (values.Count == 1)
        {
            fromHeader = values[0]?.Trim();
            if (string.IsNullOrEmpty(fromHeader))
            {
                return (null, "The X-Api-Key header is empty.");
            }
        }

        string? fromAuthorization = null;
        foreach (var authorization in headers[HeaderNames.Authorization])
        {
            var value = authorization?.Trim() ?? string.Empty;
            if (value.StartsWith(SchemeName, StringComparison.OrdinalIgnoreCase)
                && (value.Length == SchemeName.Length || value[SchemeName.Length] == ' '))
            {
                fromAuthorization = value[SchemeName.Length..].Trim();
                if (fromAuthorization.Length == 0)
                {
                    return (null, "The Authorization header names the ApiKey scheme but holds no key.");
                }
            }
        }

        if (fromHeader is not null && fromAuthorization is not null && fromHeader != fromAuthorization)
        {
            return (null, "X-Api-Key and Authorization: ApiKey hold different keys; send one.");
        }

        return (fromHeader ?? fromAuthorization, null);
    }

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Refused the API key of {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string? path, string reason);
}
