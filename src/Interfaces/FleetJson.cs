using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet;

/// <summary>Fleet's JSON: camelCase names, enums as camelCase words, ISO-8601 times.</summary>
public static class FleetJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        return options;
    }
}
