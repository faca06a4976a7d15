using Orleans.Configuration;

namespace Fleet.Silo.Hosting;

/// <summary>
/// How quickly a cluster gives up on a silo that stopped answering. Orleans' defaults (probe every
/// 5 s, three misses) take 15–20 s; a device fleet wants its connections and twins back sooner.
/// A silo killed outright refuses connections at once, so every probe of it fails straight away:
/// each silo probes its neighbours every 1–3 s (Orleans adapts the period to the answers it sees),
/// three misses in a row (3–9 s, typically ≈6 s) make it suspect, and the second suspecting
/// silo's vote declares it dead, which gossip spreads at once: well within 10 s of the crash. A
/// silo that is merely slow (a long GC) gets as long, unless its connections still carry messages
/// (Orleans' connection liveness check). Probes are not stretched when the prober itself looks
/// unhealthy: on a busy machine that stretch is what pushes detection past the bound.
/// The figures are in docs/operations.md.
/// </summary>
public static class FailureDetection
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public const int MissedProbesLimit = 3;

    public const int VotesForDeathDeclaration = 2;

    /// <summary>Every silo re-reads the membership table at least this often (gossip is faster).</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Suspicions older than this no longer count towards a death declaration.</summary>
    public static readonly TimeSpan DeathVoteExpiration = TimeSpan.FromSeconds(30);

    /// <summary>Each silo's own alive stamp in the table, read by tools and the defunct-entry cleanup.</summary>
    public static readonly TimeSpan IAmAlivePublish = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Orleans adapts each probe's timeout to the answers it sees, between half the initial timeout
    /// and this; capped so that three misses never take longer than 9 s.
    /// </summary>
    public static readonly TimeSpan MaxProbeTimeout = TimeSpan.FromSeconds(3);

    public static void Apply(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = MissedProbesLimit;
        options.NumVotesForDeathDeclaration = VotesForDeathDeclaration;
        options.NumProbedSilos = 3;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.DeathVoteExpirationTimeout = DeathVoteExpiration;
        options.IAmAliveTablePublishTimeout = IAmAlivePublish;
        options.ExtendProbeTimeoutDuringDegradation = false;
        options.MaxProbeTimeout = MaxProbeTimeout;
    }
}
