namespace Fleet.Simulator.Protocol;

/// <summary>
/// What a device knows about itself: who it is, its secret, and — when the credentials file has the
/// optional columns — facts that shape its behaviour (rated watts of a lamp, borough, meter medium).
/// </summary>
public sealed record DeviceCredentials(string Kind, string Id, string Secret)
{
    /// <summary>A lamp's rated power; the twin expects power ≈ rated × level.</summary>
    public double? RatedWatts { get; init; }

    /// <summary>Duisburg borough (shapes parking occupancy); derived from the id when absent.</summary>
    public string? Borough { get; init; }

    /// <summary>A meter's medium: water, electricity, gas or heat.</summary>
    public string? Medium { get; init; }

    /// <summary>The MQTT user name: <c>{kind}/{id}</c>.</summary>
    public string UserName => Kind + "/" + Id;

    public override string ToString() => UserName;
}
