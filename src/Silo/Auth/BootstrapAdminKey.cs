using System.Text;
using Fleet.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet.Silo.Auth;

/// <summary>
/// The admin key that exists before any other: Fleet:Auth:BootstrapAdminKey when set, otherwise a
/// key generated on the first start into the data directory (mode 600) and reused on later starts.
/// It lives in configuration or that file, not in the key table, so it is replaced by changing the
/// setting (or deleting the file) and restarting — not through DELETE /api/keys.
/// </summary>
internal sealed partial class BootstrapAdminKey(
    IOptions<FleetAuthOptions> authOptions,
    IOptions<FleetOptions> fleetOptions,
    ILogger<BootstrapAdminKey> logger) : IHostedService
{
    public const string Name = "bootstrap";

    private readonly Lock _gate = new();
    private Loaded? _loaded;

    /// <summary>The file the generated key is kept in (also when the key comes from configuration).</summary>
    public string FilePath => Path.GetFullPath(Path.Combine(fleetOptions.Value.DataDirectory, authOptions.Value.BootstrapKeyFile));

    public string Id => Load().Id;

    /// <summary>Where the key came from: ("configuration", the setting) or ("file", its path).</summary>
    public KeyActor Origin => Load().Origin;

    public FleetActor Actor => new(Id, Name, FleetRoles.Admin);

    public bool Matches(ReadOnlySpan<byte> hash) => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(hash, Load().Hash);

    /// <summary>Loads (or creates) the key at start, so its file exists and a bad one stops the start.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Load();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private Loaded Load()
    {
        if (_loaded is { } loaded)
        {
            return loaded;
        }

        lock (_gate)
        {
            return _loaded ??= LoadOnce();
        }
    }

    private Loaded LoadOnce()
    {
        var configured = authOptions.Value.BootstrapAdminKey;
        if (!string.IsNullOrEmpty(configured))
        {
            var fromConfiguration = Loaded.Of(configured, new KeyActor("configuration", FleetAuthOptions.Section + ":BootstrapAdminKey"));
            LogFromConfiguration(fromConfiguration.Id);
            return fromConfiguration;
        }

        var path = FilePath;
        if (ReadFile(path) is { } existing)
        {
            var reused = Loaded.Of(existing, new KeyActor("file", path));
            LogReused(path, reused.Id);
            return reused;
        }

        var generated = ApiKeySecret.Generate();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var writer = new StreamWriter(path, Encoding.ASCII, file);
            writer.Write(generated + "\n");
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process sharing the data directory wrote it first: use theirs.
            return LoadOnce();
        }

        var created = Loaded.Of(generated, new KeyActor("file", path));
        LogGenerated(path, created.Id);
        return created;
    }

    private static string? ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var key = File.ReadAllText(path).Trim();
        if (FleetAuthOptionsValidator.BootstrapKeyProblem(key) is { } problem)
        {
            throw new OptionsValidationException(
                FleetAuthOptions.Section,
                typeof(FleetAuthOptions),
                [$"The bootstrap admin key in {path} (Fleet:Auth:BootstrapKeyFile) {problem} Delete the file to have a new key generated."]);
        }

        return key;
    }

    private sealed record Loaded(string Id, byte[] Hash, KeyActor Origin)
    {
        public static Loaded Of(string key, KeyActor origin)
        {
            var hash = ApiKeySecret.Hash(key);
            return new Loaded(ApiKeySecret.IdOf(hash), hash, origin);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Bootstrap admin key {KeyId} is set by Fleet:Auth:BootstrapAdminKey")]
    private partial void LogFromConfiguration(string keyId);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Bootstrap admin key {KeyId} is in {Path}")]
    private partial void LogReused(string path, string keyId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning,
        Message = "Generated a bootstrap admin key {KeyId} into {Path} (readable by this user only); send it as X-Api-Key, create named keys with POST /api/keys, and keep the file safe")]
    private partial void LogGenerated(string path, string keyId);
}
