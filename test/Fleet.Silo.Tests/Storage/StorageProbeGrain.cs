using Orleans.Streams;

namespace Fleet.Silo.Tests.Storage;

/// <summary>A grain that exercises every storage path: state, reminders and a stream subscription.</summary>
[Alias("Fleet.Silo.Tests.Storage.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    [Alias("Set")]
    Task SetAsync(string value);

    [Alias("Get")]
    Task<ProbeSnapshot> GetAsync();

    [Alias("Clear")]
    Task ClearAsync();

    [Alias("Deactivate")]
    Task DeactivateAsync();

    [Alias("Silo")]
    Task<string> GetSiloAsync();

    [Alias("StartReminder")]
    Task StartReminderAsync();

    [Alias("HasReminder")]
    Task<bool> HasReminderAsync();

    [Alias("StopReminder")]
    Task StopReminderAsync();

    [Alias("Subscribe")]
    Task SubscribeAsync();

    [Alias("Subscriptions")]
    Task<int> ResumeSubscriptionsAsync();

    [Alias("Received")]
    Task<int> GetReceivedAsync();
}

[GenerateSerializer, Immutable]
public sealed record ProbeSnapshot([property: Id(0)] string Value, [property: Id(1)] int Writes, [property: Id(2)] bool RecordExists);

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)]
    public string Value { get; set; } = "";

    [Id(1)]
    public int Writes { get; set; }
}

public sealed class StorageProbeGrain([PersistentState("probe", "twins")] IPersistentState<ProbeState> state)
    : Grain, IStorageProbeGrain, IRemindable
{
    public const string StreamProvider = "probe";
    public const string ReminderName = "probe";

    private readonly IPersistentState<ProbeState> _state = state;
    private int _received;

    public async Task SetAsync(string value)
    {
        _state.State.Value = value;
        _state.State.Writes++;
        await _state.WriteStateAsync();
    }

    public Task<ProbeSnapshot> GetAsync() =>
        Task.FromResult(new ProbeSnapshot(_state.State.Value, _state.State.Writes, _state.RecordExists));

    public Task ClearAsync() => _state.ClearStateAsync();

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task<string> GetSiloAsync() => Task.FromResult(this.GetGrainId().ToString() + " on " + RuntimeIdentity);

    public Task StartReminderAsync() =>
        this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));

    public async Task<bool> HasReminderAsync() => await this.GetReminder(ReminderName) is not null;

    public async Task StopReminderAsync()
    {
        var reminder = await this.GetReminder(ReminderName);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public async Task SubscribeAsync() => await Stream().SubscribeAsync(OnItemAsync);

    public async Task<int> ResumeSubscriptionsAsync()
    {
        var handles = await Stream().GetAllSubscriptionHandles();
        foreach (var handle in handles)
        {
            await handle.ResumeAsync(OnItemAsync);
        }

        return handles.Count;
    }

    public Task<int> GetReceivedAsync() => Task.FromResult(_received);

    internal static StreamId StreamOf(string key) => StreamId.Create(StreamProvider, key);

    private IAsyncStream<int> Stream() =>
        this.GetStreamProvider(StreamProvider).GetStream<int>(StreamOf(this.GetPrimaryKeyString()));

    private Task OnItemAsync(int item, StreamSequenceToken? token)
    {
        _received += item;
        return Task.CompletedTask;
    }
}
