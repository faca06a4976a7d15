using Fleet.Devices;
using Fleet.Silo.Api;

namespace Fleet.Silo.Demo;

/// <summary>
/// A plausible Duisburg fleet: devices spread over the seven boroughs around their centres, with
/// stable ids (DU-L-000001 …) and a fixed seed so every demo city looks the same.
/// </summary>
public static class DemoFleet
{
    private static readonly (string Borough, double Lat, double Lon, double Weight)[] Centres =
    [
        (Boroughs.Walsum, 51.5290, 6.7150, 0.11),
        (Boroughs.Hamborn, 51.4940, 6.7700, 0.15),
        (Boroughs.MeiderichBeeck, 51.4660, 6.7800, 0.15),
        (Boroughs.HombergRuhrortBaerl, 51.4560, 6.6950, 0.08),
        (Boroughs.Mitte, 51.4310, 6.7650, 0.21),
        (Boroughs.Rheinhausen, 51.3960, 6.7200, 0.14),
        (Boroughs.Sued, 51.3650, 6.7600, 0.16),
    ];

    private static readonly (string Model, double Watts)[] Luminaires =
        [("Schréder Ampera Mini", 30), ("Philips Luma 1", 60), ("Siteco SL20", 90), ("Trilux Lumena", 150)];

    private static readonly (string Medium, double Share, string Model)[] Media =
        [(MeterMedia.Water, 0.4, "Diehl Hydrus"), (MeterMedia.Electricity, 0.3, "Landis+Gyr E450"), (MeterMedia.Gas, 0.2, "Itron G4 RF1"), (MeterMedia.Heat, 0.1, "Kamstrup MULTICAL 603")];

    public static string IdOf(DeviceKind kind, int number) => kind switch
    {
        DeviceKind.Lamp => $"DU-L-{number:D6}",
        DeviceKind.Parking => $"DU-P-{number:D6}",
        DeviceKind.Wifi => $"DU-W-{number:D4}",
        _ => $"DU-M-{number:D6}",
    };

    public static IEnumerable<ProvisionRequest> Generate(int lamps, int parkingBays, int accessPoints, int meters)
    {
#pragma warning disable CA5394 // Placement noise, not security.
        var random = new Random(4711);
        var installedFrom = new DateOnly(2015, 1, 1);

        DeviceMetadata Place(string model)
        {
            var centre = PickCentre(random.NextDouble());
            return new DeviceMetadata
            {
                Borough = centre.Borough,
                Lat = Math.Round(centre.Lat + (Gaussian(random) * 0.009), 6),
                Lon = Math.Round(centre.Lon + (Gaussian(random) * 0.015), 6),
                Model = model,
                Installed = installedFrom.AddDays(random.Next(0, 3650)),
            };
        }

        for (var i = 1; i <= lamps; i++)
        {
            var (model, watts) = Luminaires[random.Next(Luminaires.Length)];
            yield return Request(DeviceKind.Lamp, i, Place(model) with { RatedWatts = watts });
        }

        for (var i = 1; i <= parkingBays; i++)
        {
            var metadata = Place("Nedap SENSIT 3");
            yield return Request(DeviceKind.Parking, i, metadata with { Zone = $"{metadata.Borough} P{1 + (i % 12)}" });
        }

        for (var i = 1; i <= accessPoints; i++)
        {
            var metadata = Place("Cisco Catalyst IW9167");
            if (i <= 3)
            {
                // The zoo's access points, as the city's open Wi-Fi has them.
                metadata = metadata with { Borough = Boroughs.Mitte, Lat = 51.4390 + (i * 0.0006), Lon = 6.7840, Zone = "Zoo Duisburg" };
            }

            yield return Request(DeviceKind.Wifi, i, metadata);
        }

        for (var i = 1; i <= meters; i++)
        {
            var roll = random.NextDouble();
            var medium = Media[^1];
            foreach (var candidate in Media)
            {
                if (roll < candidate.Share)
                {
                    medium = candidate;
                    break;
                }

                roll -= candidate.Share;
            }

            yield return Request(DeviceKind.Meter, i, Place(medium.Model) with { Medium = medium.Medium });
        }
#pragma warning restore CA5394
    }

    private static ProvisionRequest Request(DeviceKind kind, int number, DeviceMetadata metadata) =>
        new(kind.ToWire(), IdOf(kind, number), metadata);

    private static (string Borough, double Lat, double Lon, double Weight) PickCentre(double roll)
    {
        foreach (var centre in Centres)
        {
            if (roll < centre.Weight)
            {
                return centre;
            }

            roll -= centre.Weight;
        }

        return Centres[^1];
    }

#pragma warning disable CA5394
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
#pragma warning restore CA5394
}
