using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.Cluster.Tests;

/// <summary>A meter of the test's own, over plain MQTTnet: connects, reports a leak with QoS 1, leaves.</summary>
public static class LeakReports
{
    private static readonly MqttClientFactory Factory = new();

    /// <summary>True when Fleet acknowledged the report (PUBACK success): from then on the leak alarm must not be lost.</summary>
    public static async Task<bool> TryReportLeakAsync(MqttEndpoint endpoint, DeviceCredentials meter)
    {
        using var client = Factory.CreateMqttClient();
        try
        {
            var options = new MqttClientOptionsBuilder()
                .WithTcpServer(endpoint.Host, endpoint.Port)
                .WithClientId("leak-" + meter.Id)
                .WithCredentials(meter.UserName, meter.Secret)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithTimeout(TimeSpan.FromSeconds(10))
                .Build();
            var connected = await client.ConnectAsync(options);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
            {
                return false;
            }

            var message = new MqttApplicationMessageBuilder()
                .WithTopic($"fleet/meter/{meter.Id}/telemetry")
                .WithPayload("""{"seq": 1, "register": 12.5, "leak": true}""")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var published = await client.PublishAsync(message);
            await client.DisconnectAsync();
            return published.ReasonCode == MqttClientPublishReasonCode.Success;
        }
        catch (Exception exception) when (exception is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            return false;
        }
    }
}
