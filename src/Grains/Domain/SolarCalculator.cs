namespace Fleet.Grains.Domain;

/// <summary>Whether the sun rises and sets on a day, or stays up or down the whole day.</summary>
public enum SunDay
{
    Normal,
    PolarDay,
    PolarNight,
}

/// <summary>Sunrise and sunset in UTC; both are null on a polar day or a polar night.</summary>
public readonly record struct SunTimes(DateTimeOffset? Sunrise, DateTimeOffset? Sunset, SunDay Day);

/// <summary>
/// Sunrise, sunset and solar elevation from the low-precision solar coordinates in Meeus,
/// <i>Astronomical Algorithms</i> (ch. 25 and 28), the same model as NOAA's Solar Calculator.
/// Good to about a minute between 1900 and 2100 for a sea-level horizon with standard refraction;
/// real horizons, terrain and weather move the observed times by more than that.
/// </summary>
public static class SolarCalculator
{
    /// <summary>
    /// Altitude of the sun's centre when its upper limb touches the horizon:
    /// 34′ of standard refraction plus a 16′ solar semi-diameter.
    /// </summary>
    public const double HorizonAltitudeDegrees = -0.833;

    private const double J2000JulianDay = 2451545.0;
    private const double DaysPerJulianCentury = 36525.0;
    private const double MinutesPerDay = 1440.0;
    private const double MinutesPerDegreeOfRotation = 4.0;

    // Julian day at 0001-01-01T00:00Z (proleptic Gregorian), where DateOnly.DayNumber and DateTime ticks start.
    private const double DayNumberZeroJulianDay = 1721425.5;

    // Refining the position at the event itself moves a mid-latitude result by up to a minute;
    // after three rounds it moves by well under a second.
    private const int Refinements = 3;

    /// <summary>
    /// Sunrise and sunset around the sun's transit nearest to local mean noon on <paramref name="date"/>,
    /// which is 12:00 UTC − longitude/15 h. In Duisburg both fall on that UTC date; far to the east (Sydney)
    /// the sunrise falls on the previous UTC date and far to the west the sunset on the next one, which keeps
    /// both on the same local calendar day.
    /// </summary>
    /// <param name="date">The date, taken as a UTC date.</param>
    /// <param name="latitude">Degrees north, -90 to 90.</param>
    /// <param name="longitude">Degrees east, -180 to 180.</param>
    public static SunTimes GetSunTimes(DateOnly date, double latitude, double longitude)
    {
        ValidateCoordinates(latitude, longitude);

        var midnightJulianDay = DayNumberZeroJulianDay + date.DayNumber;
        var latitudeRadians = DegreesToRadians(latitude);

        var noonMinutes = MeanSolarNoonMinutes(longitude);
        var noonPosition = SunPositionAt(midnightJulianDay + (noonMinutes / MinutesPerDay));
        for (var i = 0; i < Refinements; i++)
        {
            noonMinutes = MeanSolarNoonMinutes(longitude) - noonPosition.EquationOfTimeMinutes;
            noonPosition = SunPositionAt(midnightJulianDay + (noonMinutes / MinutesPerDay));
        }

        // The sun is highest at transit and lowest half a day later, at altitudes 90° - |φ - δ| and |φ + δ| - 90°.
        var highest = 90.0 - Math.Abs(latitude - noonPosition.DeclinationDegrees);
        var lowest = Math.Abs(latitude + noonPosition.DeclinationDegrees) - 90.0;
        if (highest < HorizonAltitudeDegrees)
        {
            return new SunTimes(null, null, SunDay.PolarNight);
        }

        if (lowest >= HorizonAltitudeDegrees)
        {
            return new SunTimes(null, null, SunDay.PolarDay);
        }

        var sunriseMinutes = EventMinutes(midnightJulianDay, noonMinutes, latitudeRadians, longitude, rising: true);
        var sunsetMinutes = EventMinutes(midnightJulianDay, noonMinutes, latitudeRadians, longitude, rising: false);
        var midnight = new DateTimeOffset(date, TimeOnly.MinValue, TimeSpan.Zero);
        return new SunTimes(
            midnight.AddSeconds(Math.Round(sunriseMinutes * 60.0)),
            midnight.AddSeconds(Math.Round(sunsetMinutes * 60.0)),
            SunDay.Normal);
    }

    /// <summary>
    /// True while the sun's upper limb is above a sea-level horizon (refraction included): from sunrise
    /// to sunset as <see cref="GetSunTimes"/> computes them, and all day on a polar day.
    /// </summary>
    public static bool IsSunUp(DateTimeOffset at, double latitude, double longitude) =>
        SolarElevationDegrees(at, latitude, longitude) > HorizonAltitudeDegrees;

    /// <summary>
    /// Geometric elevation of the sun's centre above the horizon, in degrees, without refraction
    /// (which lifts the sun's image by about half a degree at the horizon).
    /// </summary>
    public static double SolarElevationDegrees(DateTimeOffset at, double latitude, double longitude)
    {
        ValidateCoordinates(latitude, longitude);

        // DateTime ticks count from the same midnight as DateOnly.DayNumber.
        var julianDay = DayNumberZeroJulianDay + ((double)at.UtcTicks / TimeSpan.TicksPerDay);
        var position = SunPositionAt(julianDay);

        var minutesIntoUtcDay = (double)(at.UtcTicks % TimeSpan.TicksPerDay) / TimeSpan.TicksPerMinute;
        var trueSolarMinutes = minutesIntoUtcDay + (MinutesPerDegreeOfRotation * longitude) + position.EquationOfTimeMinutes;
        var hourAngle = DegreesToRadians((trueSolarMinutes / MinutesPerDegreeOfRotation) - 180.0);

        var latitudeRadians = DegreesToRadians(latitude);
        var declination = DegreesToRadians(position.DeclinationDegrees);
        var sinElevation = (Math.Sin(latitudeRadians) * Math.Sin(declination))
            + (Math.Cos(latitudeRadians) * Math.Cos(declination) * Math.Cos(hourAngle));
        return RadiansToDegrees(Math.Asin(Math.Clamp(sinElevation, -1.0, 1.0)));
    }

    /// <summary>UTC minutes after the date's midnight at which the sun crosses the horizon, refined at the event itself.</summary>
    private static double EventMinutes(double midnightJulianDay, double noonMinutes, double latitudeRadians, double longitude, bool rising)
    {
        var direction = rising ? -1.0 : 1.0;
        var minutes = noonMinutes;
        for (var i = 0; i <= Refinements; i++)
        {
            var position = SunPositionAt(midnightJulianDay + (minutes / MinutesPerDay));
            var transitMinutes = MeanSolarNoonMinutes(longitude) - position.EquationOfTimeMinutes;
            var hourAngleDegrees = HorizonHourAngleDegrees(latitudeRadians, DegreesToRadians(position.DeclinationDegrees));
            minutes = transitMinutes + (direction * MinutesPerDegreeOfRotation * hourAngleDegrees);
        }

        return minutes;
    }

    /// <summary>The hour angle at which the sun's centre stands at <see cref="HorizonAltitudeDegrees"/>.</summary>
    private static double HorizonHourAngleDegrees(double latitudeRadians, double declinationRadians)
    {
        var cosHourAngle = (Math.Sin(DegreesToRadians(HorizonAltitudeDegrees)) - (Math.Sin(latitudeRadians) * Math.Sin(declinationRadians)))
            / (Math.Cos(latitudeRadians) * Math.Cos(declinationRadians));

        // Only on the day the midnight sun begins or ends can the declination at the event itself
        // leave the range; the sun then grazes the horizon at solar midnight.
        return RadiansToDegrees(Math.Acos(Math.Clamp(cosHourAngle, -1.0, 1.0)));
    }

    /// <summary>UTC minutes after midnight at which the mean sun crosses the meridian.</summary>
    private static double MeanSolarNoonMinutes(double longitude) => 720.0 - (MinutesPerDegreeOfRotation * longitude);

    private static SunPosition SunPositionAt(double julianDay)
    {
        var t = (julianDay - J2000JulianDay) / DaysPerJulianCentury;

        var meanLongitude = DegreesToRadians((280.46646 + (t * (36000.76983 + (t * 0.0003032)))) % 360.0);
        var meanAnomaly = DegreesToRadians(357.52911 + (t * (35999.05029 - (t * 0.0001537))));
        var eccentricity = 0.016708634 - (t * (0.000042037 + (t * 0.0000001267)));

        var equationOfCentre = (Math.Sin(meanAnomaly) * (1.914602 - (t * (0.004817 + (t * 0.000014)))))
            + (Math.Sin(2.0 * meanAnomaly) * (0.019993 - (t * 0.000101)))
            + (Math.Sin(3.0 * meanAnomaly) * 0.000289);
        var trueLongitude = RadiansToDegrees(meanLongitude) + equationOfCentre;

        // Nutation and aberration, through the longitude of the Moon's ascending node.
        var ascendingNode = DegreesToRadians(125.04 - (1934.136 * t));
        var apparentLongitude = DegreesToRadians(trueLongitude - 0.00569 - (0.00478 * Math.Sin(ascendingNode)));

        var meanObliquitySeconds = 21.448 - (t * (46.815 + (t * (0.00059 - (t * 0.001813)))));
        var meanObliquity = 23.0 + ((26.0 + (meanObliquitySeconds / 60.0)) / 60.0);
        var obliquity = DegreesToRadians(meanObliquity + (0.00256 * Math.Cos(ascendingNode)));

        var declination = Math.Asin(Math.Sin(obliquity) * Math.Sin(apparentLongitude));

        var y = Math.Tan(obliquity / 2.0);
        y *= y;
        var equationOfTime = (y * Math.Sin(2.0 * meanLongitude))
            - (2.0 * eccentricity * Math.Sin(meanAnomaly))
            + (4.0 * eccentricity * y * Math.Sin(meanAnomaly) * Math.Cos(2.0 * meanLongitude))
            - (0.5 * y * y * Math.Sin(4.0 * meanLongitude))
            - (1.25 * eccentricity * eccentricity * Math.Sin(2.0 * meanAnomaly));

        return new SunPosition(RadiansToDegrees(declination), MinutesPerDegreeOfRotation * RadiansToDegrees(equationOfTime));
    }

    private static void ValidateCoordinates(double latitude, double longitude)
    {
        if (!double.IsFinite(latitude) || latitude is < -90.0 or > 90.0)
        {
            throw new ArgumentOutOfRangeException(nameof(latitude), latitude, "Latitude must be a finite number of degrees from -90 to 90.");
        }

        if (!double.IsFinite(longitude) || longitude is < -180.0 or > 180.0)
        {
            throw new ArgumentOutOfRangeException(nameof(longitude), longitude, "Longitude must be a finite number of degrees from -180 to 180.");
        }
    }

    private static double DegreesToRadians(double degrees) => degrees * (Math.PI / 180.0);

    private static double RadiansToDegrees(double radians) => radians * (180.0 / Math.PI);

    private readonly record struct SunPosition(double DeclinationDegrees, double EquationOfTimeMinutes);
}
