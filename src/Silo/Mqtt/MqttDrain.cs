using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Silo.Mqtt;

/// <summary>
/// The first step of a graceful stop (SIGTERM): from the moment the host starts stopping, a new
/// MQTT connection is refused with "use another server" (MQTT 3.1.1: server unavailable), so a
/// device reconnecting after the gateway's ServerShuttingDown goodbye goes to another silo rather
/// than back to this one. The goodbye itself and the twins' disconnects are the gateway's stop
/// (<see cref="MqttGatewayHandlers.Stop"/>); flushing twins and leaving the cluster follow when the
/// Orleans silo stops after it.
/// </summary>
internal static class MqttDrain
{
    public static void RefuseWhileStopping(MqttServer server, IHostApplicationLifetime lifetime)
    {
        // Runs after the gateway's own validation: a refusal it made stands.
        server.ValidatingConnectionAsync += e =>
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested && e.ReasonCode == MqttConnectReasonCode.Success)
            {
                e.ReasonCode = MqttConnectReasonCode.UseAnotherServer;
                e.ReasonString = "this Fleet silo is shutting down; connect to another";
            }

            return Task.CompletedTask;
        };
    }
}
