using System.Collections.Frozen;
using System.Security.Claims;
using Fleet.Commands;
using Fleet.Devices;

namespace Fleet.Silo.Auth;

/// <summary>The roles an API key can have. A key has exactly one.</summary>
public static class FleetRoles
{
    /// <summary>Operations staff: commands, desired state, jobs and schedules, plus all maintenance may do.</summary>
    public const string Operator = "operator";

    /// <summary>Maintenance crews: read, acknowledge alarms, the <c>blink</c> command (locating a lamp).</summary>
    public const string Maintenance = "maintenance";

    /// <summary>Other city systems: read-only, events.</summary>
    public const string Integration = "integration";

    /// <summary>Provisioning, keys, audit — and everything the other roles may do.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Maintenance, Integration];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}

/// <summary>
/// The authorization policies every endpoint names — and the one place that says which role may
/// do what. Endpoints say what they are (<c>.RequireAuthorization(FleetPolicies.Operate)</c>), never
/// which roles they admit.
/// <code>
///                 integration  maintenance  operator  admin
///   Read               x            x           x        x    GET twins, history, commands, jobs; events
///   Maintain                        x           x        x    acknowledge alarms, the blink command
///   Operate                                     x        x    commands, desired state, jobs, schedules
///   Admin                                                x    provisioning, import, keys, audit, dashboard
/// </code>
/// </summary>
public static class FleetPolicies
{
    public const string Read = "fleet.read";
    public const string Maintain = "fleet.maintain";
    public const string Operate = "fleet.operate";
    public const string Admin = "fleet.admin";

    /// <summary>The commands a <see cref="FleetRoles.Maintenance"/> key may send; every other command needs <see cref="Operate"/>.</summary>
    public static IReadOnlySet<string> MaintenanceCommands { get; } = DeviceKinds.All
        .SelectMany(kind => CommandCatalogue.For(kind).Values)
        .Where(spec => spec.MaintenanceMay)
        .Select(spec => spec.Name)
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Policy → the roles it admits.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Roles { get; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        [Read] = [FleetRoles.Integration, FleetRoles.Maintenance, FleetRoles.Operator, FleetRoles.Admin],
        [Maintain] = [FleetRoles.Maintenance, FleetRoles.Operator, FleetRoles.Admin],
        [Operate] = [FleetRoles.Operator, FleetRoles.Admin],
        [Admin] = [FleetRoles.Admin],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>A policy's name without the <c>fleet.</c> prefix, as <c>GET /api/me</c> and the command catalogue show it.</summary>
    public static string ShortName(string policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.StartsWith("fleet.", StringComparison.Ordinal) ? policy["fleet.".Length..] : policy;
    }

    /// <summary>True when a key of <paramref name="role"/> passes <paramref name="policy"/>.</summary>
    public static bool Admits(string policy, string? role) =>
        role is not null && Roles.TryGetValue(policy, out var roles) && roles.Contains(role, StringComparer.Ordinal);

    /// <summary>True when the caller passes <paramref name="policy"/> (for checks inside a handler).</summary>
    public static bool Allows(this ClaimsPrincipal user, string policy)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Roles.TryGetValue(policy, out var roles) && roles.Any(user.IsInRole);
    }

    /// <summary>
    /// The policy sending <paramref name="command"/> needs. The command endpoint itself requires
    /// <see cref="Maintain"/>; its handler checks this for the command named in the body and answers
    /// 403 (<c>Problems.Forbidden</c>) when <c>user.Allows(FleetPolicies.ForCommand(name))</c> is false.
    /// </summary>
    public static string ForCommand(string command) => MaintenanceCommands.Contains(command) ? Maintain : Operate;
}
