using System.Collections.Immutable;
using System.Text.Json;
using Fleet.Devices;
using Fleet.Jobs;
using Fleet.Silo.Api;
using Fleet.Twins;

namespace Fleet.Silo.Jobs;

/// <summary>POST /api/jobs body (docs/jobs.md).</summary>
public sealed record JobBody(
    string? Name,
    JobTargetBody? Target,
    CommandBody? Command,
    JsonElement? Desired,
    int? RatePerSecond,
    double? AbortFailurePercent)
{
    /// <summary>The spec for the job grain, or a sentence naming what is wrong.</summary>
    public JobSpec? ToSpec(string requestedBy, out string? error)
    {
        if (Target is null || !DeviceKinds.TryParse(Target.Kind, out var kind))
        {
            error = "'target.kind' must be " + DeviceKinds.Describe() + ".";
            return null;
        }

        var spec = new JobSpec
        {
            Name = Name,
            Target = new JobTarget
            {
                Kind = kind,
                Boroughs = [.. Target.Boroughs ?? []],
                Ids = [.. Target.Ids ?? []],
                Fault = Target.Fault,
                Online = Target.Online,
            },
            RatePerSecond = RatePerSecond ?? JobSpec.DefaultRate,
            AbortFailurePercent = AbortFailurePercent,
            RequestedBy = requestedBy,
        };

        if (Command is not null)
        {
            if (Command.ToRequest(requestedBy, out error) is not { } request)
            {
                return null;
            }

            spec = spec with { Command = request with { Id = null } };
        }

        if (Desired is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } desired)
        {
            if (ReadPatch(desired, out error) is not { } patch)
            {
                return null;
            }

            spec = spec with { Desired = patch };
        }

        error = spec.Validate();
        return error is null ? spec : null;
    }

    /// <summary>For the audit log.</summary>
    public string Describe() =>
        $"{Target?.Kind} {string.Join(",", Target?.Boroughs ?? [])}{(Target?.Ids is { Length: > 0 } ids ? $" {ids.Length} ids" : string.Empty)}: "
        + (Command is not null ? Command.Describe() : "desired " + (Desired is { } d ? JsonSerializer.Serialize(d) : string.Empty));

    private static ImmutableDictionary<string, TwinValue?>? ReadPatch(JsonElement desired, out string? error)
    {
        if (desired.ValueKind != JsonValueKind.Object)
        {
            error = "'desired' must be a JSON object of field names and values.";
            return null;
        }

        var patch = ImmutableDictionary.CreateBuilder<string, TwinValue?>(StringComparer.Ordinal);
        foreach (var property in desired.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                patch[property.Name] = null;
                continue;
            }

            if (TwinValue.FromJson(property.Value, out var why) is not { } value)
            {
                error = $"'desired.{property.Name}' {why}.";
                return null;
            }

            patch[property.Name] = value;
        }

        error = null;
        return patch.ToImmutable();
    }
}

/// <summary>The target selector of a job body.</summary>
public sealed record JobTargetBody(string? Kind, string[]? Boroughs, string[]? Ids, string? Fault, bool? Online);
