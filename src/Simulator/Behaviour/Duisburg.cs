namespace Fleet.Simulator.Behaviour;

/// <summary>The city's clock: local time (Europe/Berlin) and sunrise/sunset at Duisburg's position.</summary>
public static class Duisburg
{
    public const double Latitude = 51.4344;
    public const double Longitude = 6.7623;

    /// <summary>The seven boroughs, with the share of street furniture each holds (as the demo fleet spreads it).</summary>
    public static IReadOnlyList<(string Name, double Share)> Boroughs { get; } =
    [
        ("Walsum", 0.11), ("Hamborn", 0.15), ("Meiderich/Beeck", 0.15), ("Homberg/Ruhrort/Baerl", 0.08),
        ("Mitte", 0.21), ("Rheinhausen", 0.14), ("Süd", 0.16),
    ];

    private static readonly TimeSpan TwilightMargin = TimeSpan.FromMinutes(10);

    public static TimeZoneInfo TimeZone { get; } = FindTimeZone();

    public static DateTime LocalTime(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, TimeZone).DateTime;

    /// <summary>Hours since local midnight, fractional.</summary>
    public static double LocalHour(DateTimeOffset at) => LocalTime(at).TimeOfDay.TotalHours;

    public static DayType DayTypeOf(DateTimeOffset at) => LocalTime(at).DayOfWeek switch
    {
        DayOfWeek.Saturday => DayType.Saturday,
        DayOfWeek.Sunday => DayType.Sunday,
        _ => DayType.Weekday,
    };

    /// <summary>Dark enough for a photocell to switch a lamp on: from 10 min after sunset to 10 min before sunrise.</summary>
    public static bool IsDark(DateTimeOffset at)
    {
        var (sunrise, sunset) = SunTimes(DateOnly.FromDateTime(at.UtcDateTime));
        return at < sunrise - TwilightMargin || at > sunset + TwilightMargin;
    }

    /// <summary>
    /// Sunrise and sunset (UTC) on a date, by the standard sunrise equation (accurate to a minute or
    /// two at this latitude, which is all a photocell needs).
    /// </summary>
    public static (DateTimeOffset Sunrise, DateTimeOffset Sunset) SunTimes(DateOnly date)
    {
        const double J2000 = 2451545.0;
        const double UnixEpochJulian = 2440587.5;
        var noonUtc = new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var julian = (noonUtc.ToUnixTimeSeconds() / 86400.0) + UnixEpochJulian;
        var n = Math.Round(julian - J2000 + 0.0008);
        var meanSolarNoon = n - (Longitude / 360);
        var anomaly = Normalize(357.5291 + (0.98560028 * meanSolarNoon));
        var m = Radians(anomaly);
        var centre = (1.9148 * Math.Sin(m)) + (0.02 * Math.Sin(2 * m)) + (0.0003 * Math.Sin(3 * m));
        var lambda = Radians(Normalize(anomaly + centre + 180 + 102.9372));
        var transit = J2000 + meanSolarNoon + (0.0053 * Math.Sin(m)) - (0.0069 * Math.Sin(2 * lambda));
        var declination = Math.Asin(Math.Sin(lambda) * Math.Sin(Radians(23.4397)));
        var latitude = Radians(Latitude);
        var cosHourAngle = (Math.Sin(Radians(-0.833)) - (Math.Sin(latitude) * Math.Sin(declination))) / (Math.Cos(latitude) * Math.Cos(declination));
        var hourAngle = Math.Acos(Math.Clamp(cosHourAngle, -1, 1)) * 180 / Math.PI;
        return (FromJulian(transit - (hourAngle / 360)), FromJulian(transit + (hourAngle / 360)));
    }

    private static DateTimeOffset FromJulian(double julian) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)((julian - 2440587.5) * 86_400_000));

    private static double Radians(double degrees) => degrees * Math.PI / 180;

    private static double Normalize(double degrees) => ((degrees % 360) + 360) % 360;

    private static TimeZoneInfo FindTimeZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            // No tzdata on this machine: Central European Time without daylight saving is close enough.
            return TimeZoneInfo.CreateCustomTimeZone("CET", TimeSpan.FromHours(1), "CET", "CET");
        }
    }
}

public enum DayType
{
    Weekday,
    Saturday,
    Sunday,
}
