using Fleet.Devices;
using Fleet.Grains.Gateway;
using Fleet.Protocol;

namespace Fleet.Silo.Mqtt;

/// <summary>
/// One authenticated MQTT connection of one device, kept in the MQTT session's items under
/// <see cref="Key"/> and in the gateway's registry under its session id.
/// </summary>
internal sealed class GatewaySession
{
    public const string Key = "fleet.session";

    private int _aclViolations;

    public GatewaySession(DeviceKind kind, string id, string clientId, TokenBucket bucket)
    {
        Kind = kind;
        KindWire = kind.ToWire();
        Id = id;
        ClientId = clientId;
        SessionId = Guid.NewGuid().ToString("N");
        Bucket = bucket;
        Prefix = DeviceTopics.PrefixOf(kind, id);
        DesiredTopic = DeviceTopics.Of(kind, id, TopicChannel.Desired);
        ErrorsTopic = DeviceTopics.Of(kind, id, TopicChannel.Errors);
    }

    public DeviceKind Kind { get; }

    public string KindWire { get; }

    public string Id { get; }

    public string ClientId { get; }

    /// <summary>Unique per connection; the twin records it and ignores a late disconnect of an older one.</summary>
    public string SessionId { get; }

    public TokenBucket Bucket { get; }

    public string Prefix { get; }

    public string DesiredTopic { get; }

    public string ErrorsTopic { get; }

    /// <summary>Why Fleet closed the session, when it did (for the log).</summary>
    public string? EndReason { get; set; }

    public DeviceSession Session => new(Kind, Id, SessionId);

    public bool Is(DeviceSession session) => session.SessionId == SessionId && session.Kind == Kind && session.Id == Id;

    public int AddAclViolation() => Interlocked.Increment(ref _aclViolations);

    public static GatewaySession? Of(System.Collections.IDictionary? items) => items?[Key] as GatewaySession;
}
