using System.Collections.Immutable;
using Fleet.Twins;

namespace Fleet.Grains;

public enum TwinOutcome
{
    Ok,
    NotFound,
    /// <summary>The request was invalid; nothing changed. Error names the field.</summary>
    Invalid,
    /// <summary>The expected version did not match the twin's.</summary>
    VersionConflict,
    AlreadyExists,
    /// <summary>The request conflicts with the current state (e.g. cancelling a command already sent, a full command queue).</summary>
    Conflict,
}

[GenerateSerializer, Immutable, Alias("Fleet.TwinResult")]
public sealed record TwinResult
{
    [Id(0)] public TwinOutcome Outcome { get; init; }
    [Id(1)] public string? Error { get; init; }
    [Id(2)] public TwinDocument? Twin { get; init; }

    public static TwinResult Ok(TwinDocument twin) => new() { Outcome = TwinOutcome.Ok, Twin = twin };

    public static TwinResult Fail(TwinOutcome outcome, string error) => new() { Outcome = outcome, Error = error };
}

[GenerateSerializer, Immutable, Alias("Fleet.ProvisionResult")]
public sealed record ProvisionResult
{
    [Id(0)] public TwinOutcome Outcome { get; init; }
    [Id(1)] public string? Error { get; init; }
    [Id(2)] public TwinDocument? Twin { get; init; }
    /// <summary>The device secret; returned exactly once, only its hash is stored.</summary>
    [Id(3)] public string? Secret { get; init; }
}

/// <summary>A change to desired: each entry sets a field, a null value removes it (RFC 7396 semantics).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DesiredPatch")]
public sealed record DesiredPatch
{
    [Id(0)] public ImmutableDictionary<string, TwinValue?> Changes { get; init; } = ImmutableDictionary<string, TwinValue?>.Empty;
    /// <summary>When set, the change applies only if the twin is still at this version.</summary>
    [Id(1)] public long? ExpectedVersion { get; init; }
}

public enum AuthResult
{
    Ok,
    UnknownDevice,
    WrongSecret,
}

/// <summary>A device connection as the gateway sees it.</summary>
[GenerateSerializer, Immutable, Alias("Fleet.DeviceConnection")]
public sealed record DeviceConnection
{
    /// <summary>Unique per connection, so a late disconnect of a replaced connection is ignored.</summary>
    [Id(0)] public string SessionId { get; init; } = string.Empty;
    /// <summary>The gateway (silo) that holds the connection.</summary>
    [Id(1)] public string Gateway { get; init; } = string.Empty;
    [Id(2)] public DateTimeOffset At { get; init; }
}
