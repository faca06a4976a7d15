using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Fleet.Grains;
using Fleet.Silo.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Fleet.Silo.Hosting;

public static class FleetHosting
{
    /// <summary>The HTTP address used when neither --urls nor ASPNETCORE_URLS says otherwise.</summary>
    public const string DefaultUrl = "http://localhost:8080";

    /// <summary>
    /// Reads and validates the Fleet section now, because the silo's ports and store are needed
    /// while the host is being built; a bad setting stops the start with a message naming it.
    /// </summary>
    public static FleetOptions AddFleetOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FleetOptions>()
            .BindConfiguration(FleetOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) => options.ConnectionString = configuration.GetConnectionString(FleetOptions.ConnectionStringName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FleetOptions>, FleetOptionsValidator>();

        FleetOptions options;
        try
        {
            options = builder.Configuration.GetSection(FleetOptions.Section).Get<FleetOptions>() ?? new FleetOptions();
        }
        catch (InvalidOperationException exception)
        {
            // A value of the wrong type, e.g. Fleet:Store=Oracle: the binder's message names the key.
            throw new OptionsValidationException(FleetOptions.Section, typeof(FleetOptions), [exception.Message]);
        }

        options.ConnectionString = builder.Configuration.GetConnectionString(FleetOptions.ConnectionStringName);
        var result = new FleetOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(FleetOptions.Section, typeof(FleetOptions), result.Failures);
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return options;
    }

    /// <summary>
    /// Co-hosts the Orleans silo: one local silo on the embedded SQLite store, or (Fleet:Store =
    /// PostgreSql) a member of a cluster that keeps grain state, membership and reminders in
    /// PostgreSQL. Shutdown gets <see cref="FleetOptions.ShutdownTimeout"/> to drain and leave.
    /// </summary>
    public static WebApplicationBuilder AddFleetSilo(this WebApplicationBuilder builder, FleetOptions options)
    {
        Directory.CreateDirectory(options.DataDirectory);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.UseOrleans(silo =>
        {
            if (options.Store == FleetStore.PostgreSql)
            {
                silo.UseFleetCluster(options);
            }
            else
            {
                silo.UseLocalhostClustering(options.Orleans.SiloPort, options.Orleans.GatewayPort, null, options.Orleans.ServiceId, options.Orleans.ClusterId);
                silo.Configure<EndpointOptions>(endpoints => endpoints.AdvertisedIPAddress = IPAddress.Loopback);
                silo.AddFleetSqliteStorage(options.DatabasePath);
            }

            silo.AddFleetGrains();
            silo.AddDeviceGateways();
        });
        return builder;
    }

    /// <summary>A cluster member: PostgreSQL storage and membership, its advertised endpoints, tuned failure detection.</summary>
    private static void UseFleetCluster(this ISiloBuilder silo, FleetOptions options)
    {
        var ports = options.Orleans;
        silo.Configure<ClusterOptions>(cluster =>
        {
            cluster.ClusterId = ports.ClusterId;
            cluster.ServiceId = ports.ServiceId;
        });
        silo.ConfigureEndpoints(AdvertisedAddress(ports.AdvertisedAddress), ports.SiloPort, ports.GatewayPort, ports.ListenOnAnyAddress);
        silo.Configure<ClusterMembershipOptions>(FailureDetection.Apply);
        silo.AddFleetPostgreSqlStorage(options.ConnectionString!);
    }

    /// <summary>
    /// An IP address as given; "auto", this machine's first IPv4 address that is up and not loopback
    /// (a container or pod that does not know its address in advance); or a host name's first IPv4
    /// address (else its first address).
    /// </summary>
    private static IPAddress AdvertisedAddress(string address)
    {
        if (IPAddress.TryParse(address, out var ip))
        {
            return ip;
        }

        if (address.Equals(OrleansPortOptions.AutoAddress, StringComparison.OrdinalIgnoreCase))
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
                .Select(unicast => unicast.Address)
                .FirstOrDefault(candidate => candidate.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(candidate))
                ?? throw AddressProblem(address, "this machine has no IPv4 address besides loopback");
        }

        try
        {
            var addresses = Dns.GetHostAddresses(address);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault()
                ?? throw AddressProblem(address, "it has no address");
        }
        catch (SocketException exception)
        {
            throw AddressProblem(address, exception.Message);
        }
    }

    private static OptionsValidationException AddressProblem(string address, string problem) =>
        new(FleetOptions.Section, typeof(FleetOptions), [$"Fleet:Orleans:AdvertisedAddress '{address}' gives no address to advertise: {problem}."]);

    /// <summary>
    /// Binds the HTTP endpoint(s) that urls names (--urls, ASPNETCORE_URLS, default
    /// <see cref="DefaultUrl"/>) explicitly. Kestrel ignores urls as soon as any endpoint is
    /// configured in code — the MQTT listeners are — so the HTTP endpoints are configured the same
    /// way, and urls is cleared so Kestrel does not warn that it overrides it.
    /// </summary>
    public static WebApplicationBuilder ListenOnConfiguredUrls(this WebApplicationBuilder builder)
    {
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
        {
            return builder;
        }

        var endpoints = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseUrl).ToList();
        builder.Configuration[WebHostDefaults.ServerUrlsKey] = string.Empty;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var listen in endpoints)
            {
                listen(kestrel);
            }
        });
        return builder;
    }

    /// <summary>Turns one url into a Kestrel endpoint the way Kestrel's own address binding does.</summary>
    private static Action<KestrelServerOptions> ParseUrl(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException exception)
        {
            throw UrlProblem(url, exception.Message);
        }

        var https = address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
        if (!https && !address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase))
        {
            throw UrlProblem(url, "only http and https are served");
        }

        if (!string.IsNullOrEmpty(address.PathBase))
        {
            throw UrlProblem(url, "a url to listen on cannot have a path");
        }

        Action<ListenOptions> configure = https ? listen => listen.UseHttps() : _ => { };
        if (address.IsUnixPipe)
        {
            return kestrel => kestrel.ListenUnixSocket(address.UnixPipePath, configure);
        }

        if (address.IsNamedPipe)
        {
            return kestrel => kestrel.ListenNamedPipe(address.NamedPipeName, configure);
        }

        var host = address.Host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return kestrel => kestrel.ListenLocalhost(address.Port, configure);
        }

        // "*", "+" and host names bind every interface, as Kestrel does for them.
        return IPAddress.TryParse(host, out var ip)
            ? kestrel => kestrel.Listen(ip, address.Port, configure)
            : kestrel => kestrel.ListenAnyIP(address.Port, configure);
    }

    private static OptionsValidationException UrlProblem(string url, string problem) =>
        new("urls", typeof(FleetOptions), [$"urls: '{url}' cannot be served: {problem}."]);
}
