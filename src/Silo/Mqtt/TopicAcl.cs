using Fleet.Protocol;
using MQTTnet;

namespace Fleet.Silo.Mqtt;

/// <summary>What a device may subscribe to: filters that can only ever match its own downlink topics.</summary>
internal static class TopicAcl
{
    /// <summary>
    /// True when the filter starts with the device's own <c>fleet/{kind}/{id}/</c> written out (no
    /// wildcard there) and can match its desired, errors or commands topic. Everything after the
    /// prefix is confined to the device's subtree, so <c>fleet/lamp/A/#</c> is fine and
    /// <c>fleet/#</c>, <c>#</c>, <c>+/lamp/A/desired</c> or <c>fleet/lamp/B/…</c> are not.
    /// </summary>
    public static bool MaySubscribe(GatewaySession session, string? filter)
    {
        if (string.IsNullOrEmpty(filter) || !filter.StartsWith(session.Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        // Filter-to-filter matching is not available, so test the filter against the device's
        // downlink topics; a literal command id in the filter stands for itself.
        var levels = filter.Split('/');
        var command = levels.Length > 4 && DeviceTopics.IsValidCommandId(levels[4]) ? levels[4] : "any";
        return Matches(session.DesiredTopic, filter)
            || Matches(session.ErrorsTopic, filter)
            || Matches(session.Prefix + DeviceTopics.Commands + "/" + command, filter);
    }

    /// <summary>True when the filter receives the device's desired document.</summary>
    public static bool CoversDesired(GatewaySession session, string? filter) =>
        filter is not null && Matches(session.DesiredTopic, filter);

    private static bool Matches(string topic, string filter) =>
        MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch;
}
