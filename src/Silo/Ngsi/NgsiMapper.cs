using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Devices;
using Fleet.Twins;

namespace Fleet.Silo.Ngsi;

/// <summary>The NGSI-LD entity types Fleet renders its twins as (docs/ngsi-ld.md).</summary>
public static class NgsiTypes
{
    public const string Streetlight = "Streetlight";
    public const string ParkingSpot = "ParkingSpot";
    public const string AccessPoint = "AccessPoint";
    public const string WaterConsumptionObserved = "WaterConsumptionObserved";
    public const string Device = "Device";

    public static IReadOnlyList<string> All { get; } = [Streetlight, ParkingSpot, AccessPoint, WaterConsumptionObserved, Device];

    /// <summary>The domain type of a twin; null for a meter of another medium than water (it is a Device only).</summary>
    public static string? DomainTypeOf(DeviceKind kind, DeviceMetadata metadata) => kind switch
    {
        DeviceKind.Lamp => Streetlight,
        DeviceKind.Parking => ParkingSpot,
        DeviceKind.Wifi => AccessPoint,
        _ => metadata.Medium == MeterMedia.Water ? WaterConsumptionObserved : null,
    };

    /// <summary>The kind a domain type lists (Device lists every kind).</summary>
    public static DeviceKind? KindOf(string type) => type switch
    {
        Streetlight => DeviceKind.Lamp,
        ParkingSpot => DeviceKind.Parking,
        AccessPoint => DeviceKind.Wifi,
        WaterConsumptionObserved => DeviceKind.Meter,
        _ => null,
    };
}

/// <summary>A device named by an entity URN: the type, the kind and the device id.</summary>
public sealed record NgsiEntityRef(string Type, DeviceKind Kind, string DeviceId)
{
    public const string Prefix = "urn:ngsi-ld:";

    public string Urn => Type == NgsiTypes.Device
        ? $"{Prefix}{NgsiTypes.Device}:{Kind.ToWire()}:{DeviceId}"
        : $"{Prefix}{Type}:{DeviceId}";

    public static NgsiEntityRef For(string type, DeviceKind kind, string deviceId) => new(type, kind, deviceId);

    /// <summary>
    /// Parses urn:ngsi-ld:Streetlight:DU-L-000001, …:ParkingSpot:…, …:AccessPoint:…,
    /// …:WaterConsumptionObserved:… and urn:ngsi-ld:Device:{kind}:{id}; null for anything else.
    /// </summary>
    public static NgsiEntityRef? Parse(string? urn)
    {
        if (urn is null || !urn.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = urn[Prefix.Length..];
        var separator = rest.IndexOf(':', StringComparison.Ordinal);
        if (separator <= 0)
        {
            return null;
        }

        var type = rest[..separator];
        var id = rest[(separator + 1)..];
        if (type == NgsiTypes.Device)
        {
            var kindEnd = id.IndexOf(':', StringComparison.Ordinal);
            return kindEnd > 0 && DeviceKinds.TryParse(id[..kindEnd], out var kind) && Fleet.Devices.DeviceId.IsValid(id[(kindEnd + 1)..])
                ? new NgsiEntityRef(type, kind, id[(kindEnd + 1)..])
                : null;
        }

        return NgsiTypes.KindOf(type) is { } domainKind && Fleet.Devices.DeviceId.IsValid(id) ? new NgsiEntityRef(type, domainKind, id) : null;
    }
}

/// <summary>
/// Renders a twin as an NGSI-LD entity with FIWARE Smart Data Models attribute names, normalized
/// (<c>{"type": "Property", "value": …, "observedAt": …}</c>) or simplified (keyValues).
/// docs/ngsi-ld.md is the mapping table.
/// </summary>
public static class NgsiMapper
{
    /// <summary>The Smart Data Models context; the NGSI-LD core context is implied (and listed in bodies).</summary>
    public const string SmartDataModelsContext = "https://smartdatamodels.org/context.jsonld";

    public const string CoreContext = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld";

    /// <summary>The entity of <paramref name="twin"/> as <paramref name="type"/>; null when the twin is not of that type.</summary>
    public static JsonObject? ToEntity(TwinDocument twin, string type, bool keyValues)
    {
        ArgumentNullException.ThrowIfNull(twin);
        if (type != NgsiTypes.Device && NgsiTypes.DomainTypeOf(twin.Kind, twin.Metadata) != type)
        {
            return null;
        }

        var entity = new Entity(keyValues);
        entity.Root["id"] = NgsiEntityRef.For(type, twin.Kind, twin.Id).Urn;
        entity.Root["type"] = type;
        entity.Geo("location", twin.Metadata.Lon, twin.Metadata.Lat);
        entity.Property("name", twin.Id);
        entity.Property("address", Address(twin.Metadata));
        entity.Property("areaServed", twin.Metadata.Borough);
        switch (type)
        {
            case NgsiTypes.Streetlight:
                Streetlight(entity, twin);
                break;
            case NgsiTypes.ParkingSpot:
                ParkingSpot(entity, twin);
                break;
            case NgsiTypes.AccessPoint:
                AccessPoint(entity, twin);
                break;
            case NgsiTypes.WaterConsumptionObserved:
                WaterConsumption(entity, twin);
                break;
            default:
                Device(entity, twin);
                break;
        }

        if (type != NgsiTypes.Device)
        {
            entity.Relationship("refDevice", NgsiEntityRef.For(NgsiTypes.Device, twin.Kind, twin.Id).Urn);
        }

        return entity.Root;
    }

    /// <summary>Streetlight status: a failed or over-drawing lamp is defectiveLamp, anything else ok.</summary>
    public static string StreetlightStatus(TwinDocument twin) =>
        twin.Faults.Any(fault => fault.Code is FaultCodes.LampFailure or FaultCodes.PowerAnomaly) ? "defectiveLamp" : "ok";

    private static void Streetlight(Entity entity, TwinDocument twin)
    {
        entity.Property("status", StreetlightStatus(twin));
        if (Reported(twin, "on") is { Type: TwinValueType.Bool } on)
        {
            entity.Property("powerState", on.Bool ? "on" : "off", ObservedAt(twin, "on"));
        }

        if (Reported(twin, "level") is { Type: TwinValueType.Number } level)
        {
            entity.Property("illuminanceLevel", Math.Clamp(level.Number / 100.0, 0, 1), ObservedAt(twin, "level"));
        }

        if (twin.Metadata.Installed is { } installed)
        {
            // Fleet records no lamp changes: the lamp in service is the one installed.
            entity.DateTime("dateServiceStarted", installed.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
            entity.DateTime("dateLastLampChange", installed.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        }

        entity.Property("controllingMethod", "individual");
    }

    private static void ParkingSpot(Entity entity, TwinDocument twin)
    {
        var state = Reported(twin, "state") is { Type: TwinValueType.Text, Text: { } text } && TwinSchema.ParkingStates.Contains(text) ? text : "unknown";
        var observed = Reported(twin, "observedAt") is { Type: TwinValueType.Text, Text: { } at }
                       && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : ObservedAt(twin, "state");
        entity.Property("status", state, observed);
        entity.Property("category", new JsonArray("onStreet"));
        if (twin.Metadata.Zone is { Length: > 0 } zone)
        {
            entity.Relationship("refParkingSite", "urn:ngsi-ld:OnStreetParking:" + zone);
        }
    }

    private static void AccessPoint(Entity entity, TwinDocument twin)
    {
        if (Reported(twin, "up") is { Type: TwinValueType.Bool } up)
        {
            entity.Property("apState", up.Bool ? "up" : "down", ObservedAt(twin, "up"));
        }

        if (Reported(twin, "clients") is { Type: TwinValueType.Number } clients)
        {
            entity.Property("clientsConnected", clients.Number, ObservedAt(twin, "clients"));
        }

        if ((Reported(twin, "ssids") ?? twin.Desired.GetValueOrDefault("ssids")) is { Type: TwinValueType.TextList } ssids)
        {
            entity.Property("ssid", new JsonArray([.. ssids.List.Select(ssid => (JsonNode?)ssid)]));
        }

        DeviceCommons(entity, twin);
    }

    private static void WaterConsumption(Entity entity, TwinDocument twin)
    {
        if (Reported(twin, "register") is { Type: TwinValueType.Number } register)
        {
            // The register is in m³; the model counts litres.
            entity.Property("waterConsumption", register.Number * 1000, ObservedAt(twin, "register"), unitCode: "LTR");
        }

        var leak = HasFault(twin, FaultCodes.Leak);
        entity.Property("alarmFlowPersistence", leak ? "In progress persistence" : "Nothing to report");
        entity.Property("alarmInProgress", twin.Faults.IsDefaultOrEmpty ? 0 : 1);
        entity.Property("alarmTamper", HasFault(twin, FaultCodes.Tamper) ? 1 : 0);
        entity.Property("alarmWaterQuality", HasFault(twin, FaultCodes.Backflow) ? 1 : 0);
    }

    private static void Device(Entity entity, TwinDocument twin)
    {
        var (category, controlled) = twin.Kind switch
        {
            DeviceKind.Lamp => ("actuator", "light"),
            DeviceKind.Parking => ("sensor", "occupancy"),
            DeviceKind.Wifi => ("network", (string?)null),
            _ => ("meter", twin.Metadata.Medium switch
            {
                MeterMedia.Water => "waterConsumption",
                MeterMedia.Gas => "gasConsumption",
                MeterMedia.Electricity => "electricityConsumption",
                _ => "energy",
            }),
        };
        entity.Property("category", new JsonArray(category));
        if (controlled is not null)
        {
            entity.Property("controlledProperty", new JsonArray(controlled));
        }

        entity.Property("serialNumber", twin.Id);
        if (twin.Metadata.Model is { Length: > 0 } model)
        {
            entity.Property("description", model);
        }

        if (twin.Metadata.Installed is { } installed)
        {
            entity.DateTime("dateInstalled", installed.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        }

        if (Reported(twin, "batteryPct") is { Type: TwinValueType.Number } battery)
        {
            entity.Property("batteryLevel", Math.Clamp(battery.Number / 100.0, 0, 1), ObservedAt(twin, "batteryPct"));
        }

        DeviceCommons(entity, twin);
    }

    /// <summary>The Device-Commons attributes: deviceState, firmwareVersion, dateLastValueReported.</summary>
    private static void DeviceCommons(Entity entity, TwinDocument twin)
    {
        var state = !twin.Connectivity.Online ? "offline" : twin.Faults.IsDefaultOrEmpty ? "ok" : string.Join(",", twin.Faults.Select(fault => fault.Code));
        entity.Property("deviceState", state, twin.Connectivity.Since);
        if (Reported(twin, "firmware") is { Type: TwinValueType.Text, Text: { } firmware })
        {
            entity.Property("firmwareVersion", firmware, ObservedAt(twin, "firmware"));
        }

        if (twin.Connectivity.LastSeen is { } seen)
        {
            entity.DateTime("dateLastValueReported", seen.UtcDateTime);
        }
    }

    private static JsonObject Address(DeviceMetadata metadata)
    {
        var address = new JsonObject { ["addressLocality"] = "Duisburg", ["addressCountry"] = "DE", ["district"] = metadata.Borough };
        if (metadata.Street is { Length: > 0 } street)
        {
            address["streetAddress"] = street;
        }

        return address;
    }

    private static bool HasFault(TwinDocument twin, string code) => twin.Faults.Any(fault => fault.Code == code);

    private static TwinValue? Reported(TwinDocument twin, string field) => twin.Reported.GetValueOrDefault(field);

    private static DateTimeOffset? ObservedAt(TwinDocument twin, string field) =>
        twin.Timestamps.Reported.TryGetValue(field, out var at) ? at : null;

    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Builds one entity in either representation.</summary>
    private sealed class Entity(bool keyValues)
    {
        public JsonObject Root { get; } = [];

        public void Property(string name, JsonNode? value, DateTimeOffset? observedAt = null, string? unitCode = null)
        {
            if (keyValues)
            {
                Root[name] = value;
                return;
            }

            var property = new JsonObject { ["type"] = "Property", ["value"] = value };
            if (observedAt is { } at)
            {
                property["observedAt"] = Instant(at);
            }

            if (unitCode is not null)
            {
                property["unitCode"] = unitCode;
            }

            Root[name] = property;
        }

        public void DateTime(string name, DateTime value)
        {
            var text = Instant(new DateTimeOffset(value, TimeSpan.Zero));
            if (keyValues)
            {
                Root[name] = text;
                return;
            }

            Root[name] = new JsonObject { ["type"] = "Property", ["value"] = new JsonObject { ["@type"] = "DateTime", ["@value"] = text } };
        }

        public void Relationship(string name, string urn) =>
            Root[name] = keyValues ? urn : new JsonObject { ["type"] = "Relationship", ["object"] = urn };

        public void Geo(string name, double lon, double lat)
        {
            var point = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) };
            Root[name] = keyValues ? point : new JsonObject { ["type"] = "GeoProperty", ["value"] = point };
        }
    }
}
