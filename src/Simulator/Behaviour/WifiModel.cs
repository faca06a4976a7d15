using System.Globalization;
using System.Text.Json;
using Fleet.Simulator.Protocol;

namespace Fleet.Simulator.Behaviour;

/// <summary>
/// An outdoor access point of the city's open Wi-Fi. Client counts follow the hour of day (busy
/// afternoons, busier weekends) around the AP's own capacity; now and then the backhaul link drops
/// and most clients leave until it is back. Reboot takes the AP (and its MQTT connection) away for
/// a few seconds and resets its uptime.
/// </summary>
public sealed class WifiModel : DeviceModel
{
    public const int MaxSsids = 8;
    public const int MaxSsidLength = 32;
    private const double BackhaulLossesPerDay = 1.0 / 20;
    private const double BackhaulRepairsPerDay = 48;

    private static readonly int[] DefaultChannels = [1, 6, 11, 36, 40, 44, 48, 149];

    private static readonly DailyProfile Weekday = new(0.05, 0.03, 0.02, 0.02, 0.02, 0.04, 0.10, 0.25, 0.35, 0.40, 0.45, 0.55, 0.65, 0.60, 0.55, 0.55, 0.60, 0.70, 0.65, 0.55, 0.40, 0.25, 0.15, 0.08);
    private static readonly DailyProfile Weekend = new(0.08, 0.05, 0.03, 0.02, 0.02, 0.02, 0.04, 0.08, 0.15, 0.30, 0.50, 0.70, 0.85, 0.90, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30, 0.20, 0.12);

    private readonly List<string> _ssids = ["DU-Free-WiFi", "DU-Service"];
    private DateTimeOffset _bootedAt;

    public WifiModel(DeviceCredentials device, ModelSettings settings, Random random, DateTimeOffset now)
        : base(device, settings, random, now)
    {
        Capacity = 30 + (int)(120 * StableHash.Fraction(Key, "capacity"));
        Channel = DefaultChannels[(int)(DefaultChannels.Length * StableHash.Fraction(Key, "channel"))];
        _bootedAt = now - TimeSpan.FromHours(1 + (Random.NextDouble() * 24 * 60));
        BackhaulUp = !InitialFault(BackhaulLossesPerDay, BackhaulRepairsPerDay);
        Count(now);
    }

    public override string Firmware => "IW-17.12.4";

    /// <summary>Clients at a busy hour.</summary>
    public int Capacity { get; }

    public int Channel { get; private set; }

    public bool Enabled { get; private set; } = true;

    public IReadOnlyList<string> Ssids => _ssids;

    public bool BackhaulUp { get; private set; }

    public int Clients { get; private set; }

    /// <summary>The radio is up when enabled (a disabled AP keeps its MQTT link over the backhaul).</summary>
    public bool Up => Enabled;

    public long UptimeS(DateTimeOffset now) => (long)Math.Max(0, (now - _bootedAt).TotalSeconds);

    /// <summary>2.4 GHz channels 1–13 and the usual 5 GHz channels.</summary>
    public static bool IsValidChannel(int channel) =>
        channel is >= 1 and <= 13
        || (channel is >= 36 and <= 64 && channel % 4 == 0)
        || (channel is >= 100 and <= 144 && channel % 4 == 0)
        || (channel is >= 149 and <= 165 && (channel - 149) % 4 == 0);

    public override void WriteTelemetry(Utf8JsonWriter writer)
    {
        writer.WriteBoolean("up", Up);
        writer.WriteNumber("clients", Clients);
        writer.WriteNumber("uptimeS", UptimeS(Now));
        writer.WriteBoolean("backhaulUp", BackhaulUp);
        writer.WriteNumber("channel", Channel);
        writer.WriteBoolean("enabled", Enabled);
    }

    public override void WriteReported(Utf8JsonWriter writer)
    {
        writer.WriteNumber("channel", Channel);
        writer.WriteBoolean("enabled", Enabled);
        writer.WriteStartArray("ssids");
        foreach (var ssid in _ssids)
        {
            writer.WriteStringValue(ssid);
        }

        writer.WriteEndArray();
        writer.WriteString("firmware", Firmware);
    }

    public override CommandPlan Plan(DeviceCommand command, DateTimeOffset now)
    {
        switch (command.Name)
        {
            case "reboot":
                return CommandPlan.Do(() => "rebooting", CommandEffect.Reboot);
            case "enableSsid":
                var enable = command.Text("ssid");
                if (!IsValidSsid(enable))
                {
                    return CommandPlan.Reject($"args.ssid must be 1–{MaxSsidLength} characters");
                }

                if (!_ssids.Contains(enable!, StringComparer.Ordinal) && _ssids.Count >= MaxSsids)
                {
                    return CommandPlan.Reject($"the access point already broadcasts {MaxSsids} SSIDs");
                }

                return CommandPlan.Do(() =>
                {
                    if (_ssids.Contains(enable!, StringComparer.Ordinal))
                    {
                        return $"'{enable}' was already enabled";
                    }

                    _ssids.Add(enable!);
                    return $"'{enable}' enabled";
                });
            case "disableSsid":
                var disable = command.Text("ssid");
                return IsValidSsid(disable)
                    ? CommandPlan.Do(() => _ssids.Remove(disable!) ? $"'{disable}' disabled" : $"'{disable}' was not enabled")
                    : CommandPlan.Reject($"args.ssid must be 1–{MaxSsidLength} characters");
            case "setChannel":
                return command.Number("channel") is { } channel && channel == Math.Floor(channel) && IsValidChannel((int)channel)
                    ? CommandPlan.Do(() =>
                    {
                        Channel = (int)channel;
                        return string.Create(CultureInfo.InvariantCulture, $"on channel {Channel}");
                    })
                    : CommandPlan.Reject("args.channel must be a Wi-Fi channel (1–13, 36–64, 100–144, 149–165)");
            default:
                return CommandPlan.Unknown(Kind, command.Name, "reboot, enableSsid, disableSsid and setChannel");
        }
    }

    public override void Restart(DateTimeOffset now)
    {
        Advance(now);
        _bootedAt = now;
        Clients = 0;
    }

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        BackhaulUp = !StepFault(!BackhaulUp, BackhaulLossesPerDay, BackhaulRepairsPerDay, elapsed);
        Count(now);
    }

    protected override string? ApplyDesiredField(string name, JsonElement value, DateTimeOffset now)
    {
        switch (name)
        {
            case "channel":
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var channel) || !IsValidChannel(channel))
                {
                    return "not a Wi-Fi channel";
                }

                Channel = channel;
                return string.Empty;
            case "enabled":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return "not true or false";
                }

                Enabled = value.GetBoolean();
                Count(now);
                return string.Empty;
            case "ssids":
                if (value.ValueKind != JsonValueKind.Array
                    || value.GetArrayLength() > MaxSsids
                    || value.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String || !IsValidSsid(s.GetString())))
                {
                    return $"not a list of at most {MaxSsids} SSIDs of 1–{MaxSsidLength} characters";
                }

                _ssids.Clear();
                _ssids.AddRange(value.EnumerateArray().Select(s => s.GetString()!).Distinct(StringComparer.Ordinal));
                return string.Empty;
            default:
                return null;
        }
    }

    private static bool IsValidSsid(string? ssid) => !string.IsNullOrEmpty(ssid) && ssid.Length <= MaxSsidLength;

    private void Count(DateTimeOffset now)
    {
        if (!Enabled)
        {
            Clients = 0;
            return;
        }

        var profile = Duisburg.DayTypeOf(now) == DayType.Weekday ? Weekday : Weekend;
        var mean = Capacity * profile.At(Duisburg.LocalHour(now)) * (BackhaulUp ? 1 : 0.25);
        Clients = Math.Clamp((int)Math.Round(mean + (Math.Sqrt(mean) * Gaussian())), 0, 10_000);
    }
}
