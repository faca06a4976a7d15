namespace Fleet.Silo.Dashboard;

/// <summary>
/// The browser's session cookie: the API key a person signed in with (POST /api/session), for
/// what a browser cannot send a header with — navigating to the Orleans dashboard, an
/// EventSource. HttpOnly (page scripts cannot read it), SameSite=Strict (another site's page
/// cannot make the browser send it), Secure on HTTPS, gone when the browser closes. The key is
/// checked on every request as if it came in X-Api-Key, so a revoked key stops the session too;
/// and it is accepted for GET and HEAD only, so a cookie alone can never change anything.
/// </summary>
public static class SessionCookie
{
    public const string Name = "fleet-session";

    /// <summary>The key in the session cookie of a GET or HEAD request; null otherwise.</summary>
    public static string? Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return null;
        }

        return request.Cookies.TryGetValue(Name, out var key) && !string.IsNullOrWhiteSpace(key) ? key.Trim() : null;
    }

    public static void Set(HttpContext http, string key)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Cookies.Append(Name, key, Options(http));
    }

    public static void Clear(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Cookies.Delete(Name, Options(http));
    }

    private static CookieOptions Options(HttpContext http) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        IsEssential = true,
    };
}
