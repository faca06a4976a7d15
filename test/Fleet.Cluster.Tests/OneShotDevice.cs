using Fleet.Simulator.Engine;
using Fleet.Simulator.Protocol;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.Cluster.Tests;

/// <summary>A device of the test's own, over plain MQTTnet: connects, sends one QoS 1 report, leaves.</summary>
public static class OneShotDevice
{
    private static readonly MqttClientFactory Factory = new();

    /// <summary>A meter's leak report; acknowledged, its alarm must never be lost.</summary>
    public static Task<bool> TryReportLeakAsync(MqttEndpoint endpoint, DeviceCredentials meter) =>
        TryReportAsync(endpoint, meter, """{"seq": 1, "register": 12.5, "leak": true}""");

    /// <summary>True when Fleet acknowledged the telemetry (PUBACK success): from then on it must not be lost.</summary>
    public static async Task<bool> TryReportAsync(MqttEndpoint endpoint, DeviceCredentials device, string payload)
    {
        using var client = Factory.CreateMqttClient();
        try
        {
            var options = new MqttClientOptionsBuilder()
                .WithTcpServer(endpoint.Host, endpoint.Port)
                .WithClientId("oneshot-" + device.Id)
                .WithCredentials(device.UserName, device.Secret)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithTimeout(TimeSpan.FromSeconds(10))
                .Build();
            var connected = await client.ConnectAsync(options);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
            {
                return false;
            }

            var message = new MqttApplicationMessageBuilder()
                .WithTopic($"fleet/{device.Kind}/{device.Id}/telemetry")
                .WithPayload(payload)
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
