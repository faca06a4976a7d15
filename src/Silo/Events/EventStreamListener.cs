using Fleet.Events;
using Orleans.Streams;

namespace Fleet.Silo.Events;

/// <summary>
/// Subscribes this silo's <see cref="EventHub"/> to every event stream once the silo is active and
/// unsubscribes when it stops, so events published on any silo reach the SSE clients of all.
/// </summary>
internal sealed partial class EventStreamListener(IClusterClient client, EventHub hub, ILogger<EventStreamListener> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly List<StreamSubscriptionHandle<FleetEvent>> _handles = [];

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(EventStreamListener), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var provider = client.GetStreamProvider(FleetEventStreams.ProviderName);
        var observer = new Observer(hub);
        foreach (var key in FleetEventStreams.Keys(null, null))
        {
            var stream = provider.GetStream<FleetEvent>(StreamId.Create(FleetEventStreams.Namespace, key));
            _handles.Add(await stream.SubscribeAsync(observer));
        }

        LogSubscribed(_handles.Count);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var handle in _handles)
        {
            try
            {
                await handle.UnsubscribeAsync();
            }
            catch (Exception exception)
            {
                LogUnsubscribeFailed(exception, handle.StreamId.ToString());
            }
        }

        _handles.Clear();
    }

    private sealed class Observer(EventHub hub) : IAsyncObserver<FleetEvent>
    {
        public Task OnNextAsync(FleetEvent item, StreamSequenceToken? token = null)
        {
            hub.Deliver(item);
            return Task.CompletedTask;
        }

        public Task OnCompletedAsync() => Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Listening to {Count} event streams")]
    private partial void LogSubscribed(int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Could not unsubscribe from event stream {Stream}")]
    private partial void LogUnsubscribeFailed(Exception exception, string stream);
}
