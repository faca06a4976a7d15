using System.Net;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Mqtt;

/// <summary>Settings of the MQTT device gateway (configuration section Fleet:Mqtt).</summary>
public sealed class MqttGatewayOptions
{
    public const string Section = "Fleet:Mqtt";

    /// <summary>Plain MQTT over TCP; 0 turns the TCP listener off.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>The address the MQTT listeners bind: "*" for every interface, or an IP address.</summary>
    public string BindAddress { get; set; } = "*";

    /// <summary>MQTT over TLS; 0 (the default) turns it off. Needs <see cref="CertificatePath"/>.</summary>
    public int TlsPort { get; set; }

    /// <summary>The server certificate: a PKCS#12 file (.pfx/.p12), or a PEM file with <see cref="CertificateKeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key when <see cref="CertificatePath"/> is a PEM certificate.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>The password of the PKCS#12 file or of an encrypted PEM key. Never logged.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>MQTT over WebSocket on the HTTP port(s); empty turns it off.</summary>
    public string WebSocketPath { get; set; } = "/mqtt";

    /// <summary>The largest uplink payload accepted; larger ones are rejected with an error.</summary>
    public int MaxPayloadBytes { get; set; } = 16 * 1024;

    /// <summary>Sustained uplink messages per second per connection; the excess is rejected (quota exceeded).</summary>
    public double MessagesPerSecond { get; set; } = 10;

    /// <summary>How many messages a connection may send at once above the sustained rate.</summary>
    public int Burst { get; set; } = 20;

    /// <summary>After this many publishes to topics of other devices the session is closed.</summary>
    public int MaxAclViolations { get; set; } = 5;

    /// <summary>How long a new connection may take to send CONNECT.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Downlink messages queued per session before the oldest are dropped.</summary>
    public int MaxPendingMessages { get; set; } = 100;

    /// <summary>How long shutdown waits for the twins to hear that their devices disconnected.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(5);

    internal IPAddress? BindIPAddress => BindAddress is "*" or "" ? null : IPAddress.Parse(BindAddress);
}

internal sealed class MqttGatewayOptionsValidator : IValidateOptions<MqttGatewayOptions>
{
    private const string S = MqttGatewayOptions.Section;

    public ValidateOptionsResult Validate(string? name, MqttGatewayOptions options)
    {
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"{S}:Port must be a TCP port between 1 and 65535, or 0 to turn the TCP listener off, not {options.Port}.");
        }

        if (options.TlsPort is < 0 or > 65535)
        {
            errors.Add($"{S}:TlsPort must be a TCP port between 1 and 65535, or 0 to turn TLS off, not {options.TlsPort}.");
        }

        if (options.TlsPort > 0 && options.TlsPort == options.Port)
        {
            errors.Add($"{S}:TlsPort and {S}:Port must differ.");
        }

        if (options.TlsPort > 0 && string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            errors.Add($"{S}:CertificatePath must name the server certificate when {S}:TlsPort is set.");
        }
        else if (options.TlsPort > 0 && !File.Exists(options.CertificatePath))
        {
            errors.Add($"{S}:CertificatePath '{options.CertificatePath}' does not exist.");
        }

        if (!string.IsNullOrEmpty(options.CertificateKeyPath) && !File.Exists(options.CertificateKeyPath))
        {
            errors.Add($"{S}:CertificateKeyPath '{options.CertificateKeyPath}' does not exist.");
        }

        if (options.BindAddress is not ("*" or "") && !IPAddress.TryParse(options.BindAddress, out _))
        {
            errors.Add($"{S}:BindAddress must be '*' or an IP address, not '{options.BindAddress}'.");
        }

        if (!string.IsNullOrEmpty(options.WebSocketPath) && !options.WebSocketPath.StartsWith('/'))
        {
            errors.Add($"{S}:WebSocketPath must start with '/' (or be empty to turn WebSocket off), not '{options.WebSocketPath}'.");
        }

        if (options.MaxPayloadBytes is < 256 or > 16 * 1024 * 1024)
        {
            errors.Add($"{S}:MaxPayloadBytes must be between 256 and 16777216, not {options.MaxPayloadBytes}.");
        }

        if (!double.IsFinite(options.MessagesPerSecond) || options.MessagesPerSecond is <= 0 or > 100_000)
        {
            errors.Add($"{S}:MessagesPerSecond must be above 0 and at most 100000, not {options.MessagesPerSecond}.");
        }

        if (options.Burst is < 1 or > 100_000)
        {
            errors.Add($"{S}:Burst must be between 1 and 100000, not {options.Burst}.");
        }

        if (options.MaxAclViolations is < 1 or > 1000)
        {
            errors.Add($"{S}:MaxAclViolations must be between 1 and 1000, not {options.MaxAclViolations}.");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero || options.ConnectTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{S}:ConnectTimeout must be above 0 and at most 5 minutes, not {options.ConnectTimeout}.");
        }

        if (options.MaxPendingMessages is < 1 or > 100_000)
        {
            errors.Add($"{S}:MaxPendingMessages must be between 1 and 100000, not {options.MaxPendingMessages}.");
        }

        if (options.ShutdownGrace < TimeSpan.Zero || options.ShutdownGrace > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{S}:ShutdownGrace must be between 0 and 1 minute, not {options.ShutdownGrace}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
