using Microsoft.Extensions.Options;

namespace Fleet.Silo.Auth;

/// <summary>API key settings (configuration section Fleet:Auth).</summary>
public sealed class FleetAuthOptions
{
    public const string Section = "Fleet:Auth";

    /// <summary>Shorter bootstrap keys are refused: a key must not be guessable.</summary>
    public const int MinBootstrapKeyLength = 32;

    /// <summary>
    /// An admin key set by the operator (e.g. Fleet__Auth__BootstrapAdminKey). When empty, one is
    /// generated on the first start and kept in <see cref="BootstrapKeyFile"/>.
    /// </summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Where the generated bootstrap key is kept (mode 600); relative paths are under Fleet:DataDirectory.</summary>
    public string BootstrapKeyFile { get; set; } = "admin-key.txt";

    /// <summary>
    /// How long a silo trusts what it looked up about a key. A key revoked through another silo (or
    /// in the database) stops working here within this time; on the silo that revoked it, at once.
    /// Zero looks every request up.
    /// </summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxKeyCacheTtl = TimeSpan.FromMinutes(10);
}

internal sealed class FleetAuthOptionsValidator : IValidateOptions<FleetAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, FleetAuthOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(options.BootstrapAdminKey))
        {
            var problem = BootstrapKeyProblem(options.BootstrapAdminKey);
            if (problem is not null)
            {
                // Never echo the key itself.
                errors.Add($"{FleetAuthOptions.Section}:BootstrapAdminKey {problem}");
            }
        }

        if (string.IsNullOrWhiteSpace(options.BootstrapKeyFile))
        {
            errors.Add($"{FleetAuthOptions.Section}:BootstrapKeyFile must name a file.");
        }

        if (options.KeyCacheTtl < TimeSpan.Zero || options.KeyCacheTtl > FleetAuthOptions.MaxKeyCacheTtl)
        {
            errors.Add($"{FleetAuthOptions.Section}:KeyCacheTtl must be between 00:00:00 and {FleetAuthOptions.MaxKeyCacheTtl:c}, not {options.KeyCacheTtl:c}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Why a bootstrap key (from configuration or its file) cannot be used, or null.</summary>
    internal static string? BootstrapKeyProblem(string key)
    {
        if (key.Length < FleetAuthOptions.MinBootstrapKeyLength)
        {
            return $"must be at least {FleetAuthOptions.MinBootstrapKeyLength} characters long (it has {key.Length}); generate one with `openssl rand -base64 32`.";
        }

        if (key.Length > ApiKeySecret.MaxLength)
        {
            return $"may be at most {ApiKeySecret.MaxLength} characters long.";
        }

        return key.Any(c => c is <= ' ' or > '~')
            ? "may hold only printable ASCII without spaces (it travels in an HTTP header)."
            : null;
    }
}
