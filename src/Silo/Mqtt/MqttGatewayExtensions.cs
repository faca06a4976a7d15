using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Grains.Gateway;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MQTTnet.AspNetCore;
using MQTTnet.Server;

namespace Fleet.Silo.Mqtt;

public static class MqttGatewayExtensions
{
    /// <summary>
    /// The MQTT device gateway: MQTTnet in Kestrel on <c>Fleet:Mqtt:Port</c> (TCP),
    /// <c>Fleet:Mqtt:TlsPort</c> (TLS) and, through <see cref="MapMqttGateway"/>, WebSocket on the
    /// HTTP port. Settings are checked now, because the listeners are made while the host is built.
    /// </summary>
    public static WebApplicationBuilder AddMqttGateway(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MqttGatewayOptions>().BindConfiguration(MqttGatewayOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MqttGatewayOptions>, MqttGatewayOptionsValidator>();

        var options = builder.Configuration.GetSection(MqttGatewayOptions.Section).Get<MqttGatewayOptions>() ?? new MqttGatewayOptions();
        var validation = new MqttGatewayOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(MqttGatewayOptions.Section, typeof(MqttGatewayOptions), validation.Failures);
        }

        var certificate = options.TlsPort > 0 ? LoadCertificate(options) : null;

        builder.Services
            .AddHostedMqttServer(server => server
                .WithoutDefaultEndpoint()
                .WithDefaultCommunicationTimeout(options.ConnectTimeout)
                .WithMaxPendingMessagesPerClient(options.MaxPendingMessages))
            .AddMqttConnectionHandler()
            .AddConnections();
        builder.Services.AddSingleton<MqttMetrics>();
        builder.Services.AddSingleton<MqttDeviceGateway>();
        builder.Services.AddSingleton<IDeviceGateway>(services => services.GetRequiredService<MqttDeviceGateway>());
        builder.Services.AddSingleton<MqttGatewayHandlers>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (options.Port > 0)
            {
                Listen(kestrel, options.BindIPAddress, options.Port, listen => listen.UseMqtt());
            }

            if (certificate is not null)
            {
                Listen(kestrel, options.BindIPAddress, options.TlsPort, listen =>
                {
                    listen.UseHttps(certificate);
                    listen.UseMqtt();
                });
            }
        });
        return builder;
    }

    /// <summary>Maps MQTT over WebSocket, attaches the gateway to the MQTT server and stops it first on shutdown.</summary>
    public static WebApplication MapMqttGateway(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MqttGatewayOptions>>().Value;
        if (!string.IsNullOrEmpty(options.WebSocketPath))
        {
            app.MapMqtt(options.WebSocketPath);
        }

        var server = app.Services.GetRequiredService<MqttServer>();
        var handlers = app.Services.GetRequiredService<MqttGatewayHandlers>();
        handlers.Attach(server);
        MqttDrain.RefuseWhileStopping(server, app.Lifetime);
        app.Lifetime.ApplicationStopping.Register(() => handlers.Stop(server));
        return app;
    }

    private static void Listen(KestrelServerOptions kestrel, IPAddress? address, int port, Action<ListenOptions> configure)
    {
        if (address is null)
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else
        {
            kestrel.Listen(address, port, configure);
        }
    }

    private static X509Certificate2 LoadCertificate(MqttGatewayOptions options)
    {
        var path = options.CertificatePath!;
        try
        {
            if (!string.IsNullOrEmpty(options.CertificateKeyPath))
            {
                return string.IsNullOrEmpty(options.CertificatePassword)
                    ? X509Certificate2.CreateFromPemFile(path, options.CertificateKeyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, options.CertificatePassword, options.CertificateKeyPath);
            }

            return X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
        }
        catch (Exception exception) when (exception is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new OptionsValidationException(
                MqttGatewayOptions.Section,
                typeof(MqttGatewayOptions),
                [$"{MqttGatewayOptions.Section}:CertificatePath '{path}' could not be loaded ({exception.Message}); check the file, {MqttGatewayOptions.Section}:CertificateKeyPath and {MqttGatewayOptions.Section}:CertificatePassword."]);
        }
    }
}
