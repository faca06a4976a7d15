using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.Silo.Tests.Ngsi;

/// <summary>
/// The attribute rules NGSI-LD and the Smart Data Models set, checked on a rendered entity: the
/// shape of every attribute, the value ranges and vocabularies of the mapped ones.
/// </summary>
internal static class NgsiRules
{
    private static readonly Dictionary<string, string[]> Vocabularies = new(StringComparer.Ordinal)
    {
        ["Streetlight.status"] = ["ok", "defectiveLamp", "columnIssue", "brokenLantern"],
        ["Streetlight.powerState"] = ["on", "off", "low", "bootingUp"],
        ["ParkingSpot.status"] = ["free", "occupied", "closed", "unknown"],
        ["AccessPoint.apState"] = ["up", "down"],
        ["WaterConsumptionObserved.alarmFlowPersistence"] = ["Nothing to report", "No persistence", "In progress impacting persistence", "In progress persistence", "Past Persistence during the period"],
    };

    private static readonly int[] Flags = [0, 1];

    private static readonly Dictionary<string, string[]> Required = new(StringComparer.Ordinal)
    {
        ["Streetlight"] = ["id", "type", "location", "status"],
        ["ParkingSpot"] = ["id", "type", "location", "status", "category"],
        ["AccessPoint"] = ["id", "type", "location"],
        ["WaterConsumptionObserved"] = ["id", "type"],
        ["Device"] = ["id", "type", "category"],
    };

    /// <summary>Asserts that a normalized entity obeys the rules; returns it for further checks.</summary>
    public static JsonObject Validate(JsonNode? node, string expectedType)
    {
        var entity = Assert.IsType<JsonObject>(node);
        var type = entity["type"]!.GetValue<string>();
        Assert.Equal(expectedType, type);
        Assert.StartsWith("urn:ngsi-ld:" + type + ":", entity["id"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var name in Required[type])
        {
            Assert.True(entity.ContainsKey(name), $"{type} lacks the required attribute {name}");
        }

        foreach (var (name, attribute) in entity)
        {
            if (name is "id" or "type" or "@context")
            {
                continue;
            }

            var body = Assert.IsType<JsonObject>(attribute);
            var kind = body["type"]!.GetValue<string>();
            switch (kind)
            {
                case "Property":
                    Assert.True(body.ContainsKey("value"), $"{type}.{name} has no value");
                    break;
                case "Relationship":
                    Assert.StartsWith("urn:ngsi-ld:", body["object"]!.GetValue<string>(), StringComparison.Ordinal);
                    break;
                case "GeoProperty":
                    var point = body["value"]!;
                    Assert.Equal("Point", point["type"]!.GetValue<string>());
                    var coordinates = point["coordinates"]!.AsArray();
                    Assert.Equal(2, coordinates.Count);
                    Assert.InRange(coordinates[0]!.GetValue<double>(), -180, 180);
                    Assert.InRange(coordinates[1]!.GetValue<double>(), -90, 90);
                    break;
                default:
                    Assert.Fail($"{type}.{name} has the attribute type '{kind}'");
                    break;
            }

            if (body["observedAt"] is { } observedAt)
            {
                var text = observedAt.GetValue<string>();
                Assert.EndsWith("Z", text, StringComparison.Ordinal);
                Assert.True(DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), $"{type}.{name}.observedAt '{text}' is not ISO 8601");
            }

            if (Vocabularies.TryGetValue(type + "." + name, out var words))
            {
                Assert.Contains(body["value"]!.GetValue<string>(), words);
            }

            if (name is "illuminanceLevel" or "batteryLevel")
            {
                Assert.InRange(body["value"]!.GetValue<double>(), 0, 1);
            }

            if (name is "alarmInProgress" or "alarmTamper" or "alarmWaterQuality")
            {
                Assert.Contains(body["value"]!.GetValue<int>(), Flags);
            }

            if (body["value"] is JsonObject { } value && value["@type"]?.GetValue<string>() == "DateTime")
            {
                Assert.True(DateTimeOffset.TryParse(value["@value"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _));
            }
        }

        return entity;
    }
}
