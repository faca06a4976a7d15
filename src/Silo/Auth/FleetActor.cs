using System.Security.Claims;

namespace Fleet.Silo.Auth;

/// <summary>Who did something: the API key (id and name) and its role, or the silo itself.</summary>
public sealed record FleetActor(string Id, string Name, string Role)
{
    /// <summary>A caller without a valid key; only refusals are ever recorded for it.</summary>
    public static FleetActor Anonymous { get; } = new("anonymous", "anonymous", "none");

    /// <summary>The silo acting on its own (a schedule step, a job batch), named by what acts.</summary>
    public static FleetActor System(string what) => new("system:" + what, what, "system");

    /// <summary>The caller of an HTTP request, as <see cref="ApiKeyAuthenticationHandler"/> signed it in.</summary>
    public static FleetActor From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity?.IsAuthenticated != true || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id)
        {
            return Anonymous;
        }

        return new FleetActor(id, user.FindFirstValue(ClaimTypes.Name) ?? id, user.FindFirstValue(ClaimTypes.Role) ?? "none");
    }

    internal ClaimsPrincipal ToPrincipal(string scheme) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, Id),
            new Claim(ClaimTypes.Name, Name),
            new Claim(ClaimTypes.Role, Role),
        ],
        scheme,
        ClaimTypes.Name,
        ClaimTypes.Role));
}
