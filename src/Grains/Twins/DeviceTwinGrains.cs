using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.Grains.Twins;

// One grain class per kind, so each kind has its own grain type, storage rows and interface; the
// engine they share is TwinGrain.

public sealed class LampGrain(
    [PersistentState("twin", "twins")] IPersistentState<TwinState> state,
    IOptions<TwinOptions> options,
    TwinClock clock,
    ILogger<LampGrain> logger)
    : TwinGrain(LampRules.Instance, state, options, clock, logger), ILampGrain;

public sealed class ParkingBayGrain(
    [PersistentState("twin", "twins")] IPersistentState<TwinState> state,
    IOptions<TwinOptions> options,
    TwinClock clock,
    ILogger<ParkingBayGrain> logger)
    : TwinGrain(ParkingRules.Instance, state, options, clock, logger), IParkingBayGrain;

public sealed class AccessPointGrain(
    [PersistentState("twin", "twins")] IPersistentState<TwinState> state,
    IOptions<TwinOptions> options,
    TwinClock clock,
    ILogger<AccessPointGrain> logger)
    : TwinGrain(WifiRules.Instance, state, options, clock, logger), IAccessPointGrain;

public sealed class MeterGrain(
    [PersistentState("twin", "twins")] IPersistentState<TwinState> state,
    IOptions<TwinOptions> options,
    TwinClock clock,
    ILogger<MeterGrain> logger)
    : TwinGrain(MeterRules.Instance, state, options, clock, logger), IMeterGrain;
