using System.CommandLine;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Fleet.Devices;
using Fleet.Grains;
using Fleet.Twins;

namespace Fleet.Client.Commands;

/// <summary>fleet twin get|desire.</summary>
internal static class TwinCommands
{
    public static Command Create(CliContext context)
    {
        var kind = new Argument<string>("kind") { Description = "lamp, parking, wifi or meter" };
        var id = new Argument<string>("id") { Description = "the device id, e.g. DU-L-000001" };

        var get = new Command("get", "Show a device's twin as JSON.") { kind, id };
        get.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var device = Address(result.GetValue(kind), result.GetValue(id));
            var twin = await grains.GetTwin(device.Kind, device.Id).GetTwin();
            if (twin is null)
            {
                return context.Fail($"No {device.Kind.ToWire()} '{device.Id}' is provisioned.");
            }

            context.Out.WriteLine(JsonSerializer.Serialize(twin, context.Json));
            return 0;
        }, cancellationToken));

        var assignments = new Argument<string[]>("field=value") { Description = "desired fields, e.g. level=40 on=true; field=null removes one", Arity = ArgumentArity.OneOrMore };
        var ifVersion = new Option<long?>("--if-version") { Description = "apply only if the twin is still at this version" };
        var desire = new Command("desire", "Change a device's desired state.") { kind, id, assignments, ifVersion };
        desire.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var device = Address(result.GetValue(kind), result.GetValue(id));
            var patch = new DesiredPatch { Changes = ParseAssignments(result.GetValue(assignments)!), ExpectedVersion = result.GetValue(ifVersion) };
            var outcome = await grains.GetTwin(device.Kind, device.Id).MergeDesired(patch);
            if (outcome.Outcome != TwinOutcome.Ok)
            {
                return context.Fail(outcome.Error!);
            }

            context.Out.WriteLine(JsonSerializer.Serialize(outcome.Twin, context.Json));
            return 0;
        }, cancellationToken));

        return new Command("twin", "Read and steer device twins.") { get, desire };
    }

    /// <summary>The device a kind and id argument name, or a <see cref="CliException"/> saying what is wrong.</summary>
    internal static DeviceAddressOrThrow Address(string? kind, string? id)
    {
        if (!DeviceKinds.TryParse(kind, out var parsed))
        {
            throw new CliException($"'{kind}' is not a device kind; the kind is {DeviceKinds.Describe()}.");
        }

        return DeviceId.Validate(id) is { } error ? throw new CliException(error) : new DeviceAddressOrThrow(parsed, id!);
    }

    /// <summary>Parses field=value pairs: true/false, numbers, null (remove), [a,b] lists, else strings.</summary>
    internal static ImmutableDictionary<string, TwinValue?> ParseAssignments(IEnumerable<string> assignments)
    {
        var changes = ImmutableDictionary.CreateBuilder<string, TwinValue?>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            var separator = assignment.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new CliException($"'{assignment}' is not field=value.");
            }

            var text = assignment[(separator + 1)..];
            changes[assignment[..separator]] = text switch
            {
                "null" => null,
                "true" => TwinValue.Of(true),
                "false" => TwinValue.Of(false),
                _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => TwinValue.Of(number),
                _ when text.StartsWith('[') && text.EndsWith(']') => TwinValue.Of(text[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
                _ => TwinValue.Of(text),
            };
        }

        return changes.ToImmutable();
    }

    internal readonly record struct DeviceAddressOrThrow(DeviceKind Kind, string Id);
}
