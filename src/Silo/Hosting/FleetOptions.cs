using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Silo.Hosting;

/// <summary>The host's own settings (configuration section Fleet).</summary>
public sealed class FleetOptions
{
    public const string Section = "Fleet";

    /// <summary>The name under ConnectionStrings of the PostgreSQL database of a cluster.</summary>
    public const string ConnectionStringName = "Fleet";

    /// <summary>Sqlite: one silo on an embedded file. PostgreSql: a cluster of silos sharing one database.</summary>
    public FleetStore Store { get; set; } = FleetStore.Sqlite;

    /// <summary>Holds the SQLite store and the demo credentials.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>The SQLite file of the embedded store; relative paths are under <see cref="DataDirectory"/>.</summary>
    public string DatabaseFile { get; set; } = "fleet.db";

    /// <summary>How long a stopping silo may take to drain devices, flush twins and leave the cluster.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>ConnectionStrings:Fleet, filled in from outside the Fleet section; never logged.</summary>
    public string? ConnectionString { get; set; }

    public DemoOptions Demo { get; set; } = new();

    public OrleansPortOptions Orleans { get; set; } = new();

    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, DatabaseFile));
}

/// <summary>Where grain state, membership and reminders live, and so whether Fleet runs as one silo or a cluster.</summary>
public enum FleetStore
{
    Sqlite,
    PostgreSql,
}

public sealed class DemoOptions
{
    /// <summary>Provision the demo Duisburg fleet when the store does not have it yet.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Provision (and re-issue credentials) even when the demo fleet is there (the --demo switch).</summary>
    public bool Force { get; set; }

    /// <summary>Where the demo credentials go; relative paths are under the data directory.</summary>
    public string CredentialsFile { get; set; } = "demo-devices.csv";

    /// <summary>Run simulated devices for the demo fleet inside the silo, over its own MQTT port.</summary>
    public bool LiveDevices { get; set; } = true;

    /// <summary>How many demo devices come alive (0 = all).</summary>
    public int LiveDeviceCount { get; set; }

    /// <summary>How often a live demo device sends telemetry.</summary>
    public TimeSpan LiveDeviceInterval { get; set; } = TimeSpan.FromSeconds(15);

    public int Lamps { get; set; } = 2000;
    public int ParkingBays { get; set; } = 500;
    public int AccessPoints { get; set; } = 50;
    public int Meters { get; set; } = 2000;
}

public sealed class OrleansPortOptions
{
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public string ClusterId { get; set; } = "fleet";
    public string ServiceId { get; set; } = "fleet";

    /// <summary>The <see cref="AdvertisedAddress"/> that picks this machine's own non-loopback IPv4 address.</summary>
    public const string AutoAddress = "auto";

    /// <summary>
    /// The address other silos and clients reach this silo at: an IP address, a host name resolved
    /// once at start, or "auto" (this machine's first non-loopback IPv4 address — containers, pods).
    /// Loopback suits silos on one machine.
    /// </summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface instead of only the advertised address (behind NAT or port mapping).</summary>
    public bool ListenOnAnyAddress { get; set; }
}

internal sealed class FleetOptionsValidator : IValidateOptions<FleetOptions>
{
    public ValidateOptionsResult Validate(string? name, FleetOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Store))
        {
            errors.Add($"Fleet:Store must be Sqlite or PostgreSql, not {options.Store}.");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Fleet:DataDirectory must name a directory.");
        }

        if (string.IsNullOrWhiteSpace(options.DatabaseFile))
        {
            errors.Add("Fleet:DatabaseFile must name a file.");
        }

        if (options.Store == FleetStore.PostgreSql)
        {
            CheckConnectionString(errors, options.ConnectionString);
        }

        if (options.ShutdownTimeout < TimeSpan.FromSeconds(5) || options.ShutdownTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Fleet:ShutdownTimeout must be between 00:00:05 and 00:10:00, not {options.ShutdownTimeout}.");
        }

        CheckPort(errors, "Fleet:Orleans:SiloPort", options.Orleans.SiloPort);
        CheckPort(errors, "Fleet:Orleans:GatewayPort", options.Orleans.GatewayPort);
        if (options.Orleans.SiloPort == options.Orleans.GatewayPort)
        {
            errors.Add("Fleet:Orleans:SiloPort and Fleet:Orleans:GatewayPort must differ.");
        }

        if (string.IsNullOrWhiteSpace(options.Orleans.AdvertisedAddress) || Uri.CheckHostName(options.Orleans.AdvertisedAddress) == UriHostNameType.Unknown)
        {
            errors.Add($"Fleet:Orleans:AdvertisedAddress must be an IP address or a host name, not '{options.Orleans.AdvertisedAddress}'.");
        }

        CheckCount(errors, "Fleet:Demo:Lamps", options.Demo.Lamps);
        CheckCount(errors, "Fleet:Demo:ParkingBays", options.Demo.ParkingBays);
        CheckCount(errors, "Fleet:Demo:AccessPoints", options.Demo.AccessPoints);
        CheckCount(errors, "Fleet:Demo:Meters", options.Demo.Meters);
        CheckCount(errors, "Fleet:Demo:LiveDeviceCount", options.Demo.LiveDeviceCount);
        if (options.Demo.LiveDeviceInterval < TimeSpan.FromSeconds(1) || options.Demo.LiveDeviceInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"Fleet:Demo:LiveDeviceInterval must be between 00:00:01 and 01:00:00, not {options.Demo.LiveDeviceInterval}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Checks the connection string's form without ever echoing it: it may hold a password.</summary>
    private static void CheckConnectionString(List<string> errors, string? connectionString)
    {
        const string Setting = $"ConnectionStrings:{FleetOptions.ConnectionStringName} (environment ConnectionStrings__{FleetOptions.ConnectionStringName})";
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            errors.Add($"Fleet:Store is PostgreSql, so {Setting} must be the PostgreSQL connection string, e.g. 'Host=db;Database=fleet;Username=fleet;Password=…'.");
            return;
        }

        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(parsed.Host))
            {
                errors.Add($"{Setting} must name the PostgreSQL Host.");
            }
        }
        catch (ArgumentException exception)
        {
            errors.Add($"{Setting} is not a valid PostgreSQL connection string: {exception.Message}");
        }
    }

    private static void CheckPort(List<string> errors, string setting, int port)
    {
        if (port is < 1 or > 65535)
        {
            errors.Add($"{setting} must be a TCP port between 1 and 65535, not {port}.");
        }
    }

    private static void CheckCount(List<string> errors, string setting, int count)
    {
        if (count is < 0 or > 1_000_000)
        {
            errors.Add($"{setting} must be between 0 and 1000000, not {count}.");
        }
    }
}
