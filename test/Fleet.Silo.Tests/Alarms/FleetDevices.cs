using System.Collections.Immutable;
using System.Net.Http.Json;
using System.Net;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Silo.Tests.Hosting;
using Fleet.Twins;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Alarms;

/// <summary>Provisions devices of every kind and drives their twins as the MQTT gateway would.</summary>
internal sealed class FleetDevices(FleetHost host)
{
    private long _seq;

    public IGrainFactory Grains => host.Service<IGrainFactory>();

    public async Task<string> ProvisionAsync(DeviceKind kind, string borough = "Mitte", string? medium = null, string? zone = null)
    {
        var id = NewId(kind switch
        {
            DeviceKind.Lamp => "DU-L",
            DeviceKind.Parking => "DU-P",
            DeviceKind.Wifi => "DU-W",
            _ => "DU-M",
        });
        var metadata = new Dictionary<string, object>
        {
            ["borough"] = borough,
            ["lat"] = 51.4344,
            ["lon"] = 6.7623,
            ["model"] = "test model",
            ["installed"] = "2023-04-01",
            ["street"] = "Königstraße 1",
        };
        if (kind == DeviceKind.Lamp)
        {
            metadata["ratedWatts"] = 60;
        }

        if (kind == DeviceKind.Meter)
        {
            metadata["medium"] = medium ?? MeterMedia.Water;
        }

        if (zone is not null)
        {
            metadata["zone"] = zone;
        }

        using var response = await host.Http.PostAsJsonAsync("/api/devices", new { kind = kind.ToWire(), id, metadata });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    /// <summary>Applies a telemetry report through the device face of the twin, as the gateway does.</summary>
    public async Task<ReportResult> ReportAsync(DeviceKind kind, string id, params (string Field, object Value)[] values)
    {
        var report = new DeviceReport
        {
            Topic = ReportTopic.Telemetry,
            Seq = Interlocked.Increment(ref _seq),
            Values = values.ToImmutableDictionary(
                value => value.Field,
                value => value.Value switch
                {
                    bool b => TwinValue.Of(b),
                    string s => TwinValue.Of(s),
                    IConvertible number => TwinValue.Of(number.ToDouble(System.Globalization.CultureInfo.InvariantCulture)),
                    _ => throw new ArgumentException("Unsupported value.", nameof(values)),
                },
                StringComparer.Ordinal),
        };
        var result = await Grains.GetEndpoint(kind, id).Report(report);
        Assert.Equal(ReportOutcome.Applied, result.Outcome);
        return result;
    }

    public async Task<string> ConnectAsync(DeviceKind kind, string id)
    {
        var session = Guid.NewGuid().ToString("N");
        await Grains.GetEndpoint(kind, id).Connected(new DeviceConnection { SessionId = session, Gateway = "test-gateway", At = DateTimeOffset.UtcNow });
        return session;
    }

    public Task DisconnectAsync(DeviceKind kind, string id, string session) => Grains.GetEndpoint(kind, id).Disconnected(session);
}
