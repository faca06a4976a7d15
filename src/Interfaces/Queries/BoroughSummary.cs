using System.Collections.Immutable;

namespace Fleet.Queries;

/// <summary>The figures of every borough at one moment (GET /api/boroughs).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.FleetBoroughs")]
public sealed record FleetBoroughs
{
    /// <summary>When the figures were computed; meter windows end here.</summary>
    [Id(0)] public DateTimeOffset At { get; init; }

    /// <summary>Every borough of Duisburg, in the order of <see cref="Devices.Boroughs.All"/>, also those without devices.</summary>
    [Id(1)] public ImmutableArray<BoroughSummary> Boroughs { get; init; } = [];
}

/// <summary>
/// One borough's devices counted from the fleet index: all kinds together, then per kind with what
/// matters for it. docs/index.md defines every figure.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.BoroughSummary")]
public sealed record BoroughSummary
{
    [Id(0)] public string Name { get; init; } = string.Empty;
    [Id(1)] public DateTimeOffset At { get; init; }
    [Id(2)] public int Devices { get; init; }
    [Id(3)] public int Online { get; init; }

    /// <summary>Fault code → devices with that fault active (codes with none are left out).</summary>
    [Id(4)] public ImmutableSortedDictionary<string, int> Faults { get; init; } = ImmutableSortedDictionary<string, int>.Empty;

    [Id(5)] public LampFigures Lamp { get; init; } = new();
    [Id(6)] public ParkingFigures Parking { get; init; } = new();
    [Id(7)] public WifiFigures Wifi { get; init; } = new();
    [Id(8)] public MeterFigures Meter { get; init; } = new();
}

[GenerateSerializer, Immutable, Alias("Fleet.LampFigures")]
public sealed record LampFigures
{
    [Id(0)] public int Devices { get; init; }
    [Id(1)] public int Online { get; init; }
    [Id(2)] public ImmutableSortedDictionary<string, int> Faults { get; init; } = ImmutableSortedDictionary<string, int>.Empty;

    /// <summary>Lamps reporting on = true.</summary>
    [Id(3)] public int Lit { get; init; }

    /// <summary>The mean reported level (%) of the lit lamps that report one; null when none do.</summary>
    [Id(4)] public double? AverageLevel { get; init; }

    /// <summary>The sum of the lamps' last reported powerW.</summary>
    [Id(5)] public double PowerW { get; init; }
}

/// <summary>Bays by their reported state; a bay that has not reported one counts as unknown (NGSI-LD's availableSpotNumber is Free).</summary>
[GenerateSerializer, Immutable, Alias("Fleet.ParkingFigures")]
public sealed record ParkingFigures
{
    [Id(0)] public int Devices { get; init; }
    [Id(1)] public int Online { get; init; }
    [Id(2)] public ImmutableSortedDictionary<string, int> Faults { get; init; } = ImmutableSortedDictionary<string, int>.Empty;
    [Id(3)] public int Total { get; init; }
    [Id(4)] public int Free { get; init; }
    [Id(5)] public int Occupied { get; init; }
    [Id(6)] public int Closed { get; init; }
    [Id(7)] public int Unknown { get; init; }
}

[GenerateSerializer, Immutable, Alias("Fleet.WifiFigures")]
public sealed record WifiFigures
{
    [Id(0)] public int Devices { get; init; }
    [Id(1)] public int Online { get; init; }
    [Id(2)] public ImmutableSortedDictionary<string, int> Faults { get; init; } = ImmutableSortedDictionary<string, int>.Empty;

    /// <summary>Access points reporting up = true.</summary>
    [Id(3)] public int Up { get; init; }

    /// <summary>The sum of the access points' last reported clients.</summary>
    [Id(4)] public int Clients { get; init; }
}

[GenerateSerializer, Immutable, Alias("Fleet.MeterFigures")]
public sealed record MeterFigures
{
    [Id(0)] public int Devices { get; init; }
    [Id(1)] public int Online { get; init; }
    [Id(2)] public ImmutableSortedDictionary<string, int> Faults { get; init; } = ImmutableSortedDictionary<string, int>.Empty;

    /// <summary>Medium → consumption; every medium is listed, also those without meters here.</summary>
    [Id(3)] public ImmutableSortedDictionary<string, MediumConsumption> Consumption { get; init; } = ImmutableSortedDictionary<string, MediumConsumption>.Empty;
}

/// <summary>
/// What the meters of one medium reported as consumed (register steps) with a report time in the
/// last hour and the last 24 hours before <see cref="BoroughSummary.At"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fleet.MediumConsumption")]
public sealed record MediumConsumption
{
    [Id(0)] public string Unit { get; init; } = string.Empty;
    [Id(1)] public int Meters { get; init; }
    [Id(2)] public double LastHour { get; init; }
    [Id(3)] public double LastDay { get; init; }
}
