using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Fleet.Grains.Gateway;

/// <summary>Places a string-keyed grain on the silo whose address (<see cref="SiloAddress.ToParsableString"/>) is its key.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("Fleet.SiloKeyedPlacement")]
public sealed class SiloKeyedPlacement : PlacementStrategy
{
    public static SiloKeyedPlacement Instance { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloKeyedPlacementAttribute() : PlacementAttribute(SiloKeyedPlacement.Instance);

/// <summary>
/// Returns the silo the grain key names, or fails the call when that silo is not an active member:
/// a gateway must never be re-activated on a silo that does not hold the connection.
/// </summary>
internal sealed class SiloKeyedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? string.Empty;
        if (!SiloAddress.TryParse(key, out var silo))
        {
            throw new OrleansException($"'{key}' does not name a silo.");
        }

        if (context.GetCompatibleSilos(target).Contains(silo))
        {
            return silo;
        }

        // A silo that joined a moment ago may not be in this silo's view yet: look once more.
        if (!GatewayLiveness.IsGone(silo, membership.CurrentSnapshot, context.LocalSilo))
        {
            await membership.Refresh();
            if (context.GetCompatibleSilos(target).Contains(silo))
            {
                return silo;
            }
        }

        throw new OrleansException($"The gateway silo {key} is not an active member of the cluster.");
    }
}
