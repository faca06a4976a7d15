using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Fleet.Grains.Gateway;

/// <summary>
/// Hands downlinks to this silo's <see cref="IDeviceGateway"/>. Reentrant and stateless: each call
/// only queues a message or starts a disconnect, so one activation per silo is no bottleneck.
/// </summary>
[SiloKeyedPlacement, Reentrant]
public sealed partial class GatewayGrain(ILocalSiloDetails silo, ILogger<GatewayGrain> logger) : Grain, IGatewayGrain
{
    private IDeviceGateway? _gateway;
    private bool _misplaced;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _gateway = ServiceProvider.GetService<IDeviceGateway>();

        // The director places this grain only on the silo its key names; a mismatch would deliver
        // to the wrong connections, so refuse everything rather than trust it.
        var key = this.GetPrimaryKeyString();
        _misplaced = key != silo.SiloAddress.ToParsableString();
        if (_misplaced)
        {
            LogMisplaced(key, silo.SiloAddress.ToParsableString());
        }

        return Task.CompletedTask;
    }

    public async Task<bool> SendDesired(DeviceSession session, DesiredDocument desired) =>
        _gateway is { } gateway && !_misplaced && await gateway.SendDesired(session, desired);

    public async Task<bool> SendCommand(DeviceSession session, CommandMessage command) =>
        _gateway is { } gateway && !_misplaced && await gateway.SendCommand(session, command);

    public async Task<bool> EndSession(DeviceSession session, SessionEndReason reason) =>
        _gateway is { } gateway && !_misplaced && await gateway.EndSession(session, reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gateway grain {Key} was activated on silo {Silo}; it refuses all deliveries")]
    private partial void LogMisplaced(string key, string silo);
}
