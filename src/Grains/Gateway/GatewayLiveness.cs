namespace Fleet.Grains.Gateway;

/// <summary>Decides whether the silo a twin recorded as its device's gateway has left the cluster.</summary>
public static class GatewayLiveness
{
    /// <summary>Reads a gateway name; false for names that are not silo addresses (never a live gateway).</summary>
    public static bool TryParse(string? gateway, out SiloAddress silo)
    {
        silo = SiloAddress.Zero;
        if (string.IsNullOrEmpty(gateway) || !SiloAddress.TryParse(gateway, out var parsed))
        {
            return false;
        }

        silo = parsed;
        return true;
    }

    /// <summary>
    /// True when the silo is known to be gone: dead or leaving, superseded by a newer incarnation on
    /// the same endpoint, or absent although older than this silo (every silo that was alive when
    /// this one joined is in its view). An absent, newer silo may just not have been seen yet, so
    /// it is not judged.
    /// </summary>
    public static bool IsGone(SiloAddress silo, ClusterMembershipSnapshot snapshot, SiloAddress local)
    {
        switch (snapshot.GetSiloStatus(silo))
        {
            case SiloStatus.Created or SiloStatus.Joining or SiloStatus.Active:
                return false;
            case SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.Dead:
                return true;
        }

        foreach (var member in snapshot.Members.Keys)
        {
            if (member.Endpoint.Equals(silo.Endpoint) && member.Generation > silo.Generation)
            {
                return true;
            }
        }

        return silo.Generation < local.Generation;
    }
}
