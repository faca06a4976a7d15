using System.CommandLine;
using System.Text.Json;
using Fleet.Commands;
using Fleet.Devices;
using Fleet.Grains;

namespace Fleet.Client.Commands;

/// <summary>fleet command send|get|cancel.</summary>
internal static class CommandCommands
{
    public static Command Create(CliContext context)
    {
        var kind = new Argument<string>("kind") { Description = "lamp, parking, wifi or meter" };
        var id = new Argument<string>("id") { Description = "the device id, e.g. DU-L-000001" };
        var commandId = new Argument<string>("commandId") { Description = "the command's id (from command send)" };
        var user = new Option<string?>("--user") { Description = "who sends or cancels (default: your user name)" };

        var name = new Argument<string>("name") { Description = "the command, e.g. dim, switch, blink, reboot (docs/commands.md)" };
        var args = new Option<string[]>("--arg") { Description = "an argument name=value, e.g. --arg level=40 (repeat for more)" };
        var ttl = new Option<int?>("--ttl") { Description = "seconds the command may wait for its result (default 600)" };
        var wait = new Option<string?>("--wait") { Description = "wait this long for the result, e.g. 5s" };
        var send = new Command("send", "Send a catalogue command to a device; it waits in the device's queue while the device is offline.")
        {
            kind, id, name, args, ttl, wait, user,
        };
        send.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var device = TwinCommands.Address(result.GetValue(kind), result.GetValue(id));
            var waitFor = result.GetValue(wait) is { } text ? CliValues.Duration(text, "--wait") : TimeSpan.Zero;
            var request = new CommandRequest
            {
                Name = result.GetValue(name)!,
                Args = CliValues.Arguments(result.GetValue(args)),
                Ttl = result.GetValue(ttl) is { } seconds ? (seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new CliException("--ttl must be positive.")) : null,
                RequestedBy = CliValues.User(result.GetValue(user)),
            };
            var twin = grains.GetTwin(device.Kind, device.Id);
            var outcome = await twin.SubmitCommand(request);
            if (outcome.Command is not { } command)
            {
                return context.Fail(outcome.Error!);
            }

            if (waitFor > TimeSpan.Zero && !command.State.IsFinal())
            {
                command = await twin.WaitForCommand(command.Id, waitFor) ?? command;
            }

            context.Out.WriteLine(JsonSerializer.Serialize(command, context.Json));
            return 0;
        }, cancellationToken));

        var get = new Command("get", "Show a command with every transition.") { kind, id, commandId };
        get.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var device = TwinCommands.Address(result.GetValue(kind), result.GetValue(id));
            var command = await grains.GetTwin(device.Kind, device.Id).GetCommand(result.GetValue(commandId)!);
            if (command is null)
            {
                return context.Fail($"The {device.Kind.ToWire()} '{device.Id}' has no command '{result.GetValue(commandId)}'.");
            }

            context.Out.WriteLine(JsonSerializer.Serialize(command, context.Json));
            return 0;
        }, cancellationToken));

        var cancel = new Command("cancel", "Cancel a command that has not been sent yet.") { kind, id, commandId, user };
        cancel.SetAction((result, cancellationToken) => context.RunAsync(async grains =>
        {
            var device = TwinCommands.Address(result.GetValue(kind), result.GetValue(id));
            var outcome = await grains.GetTwin(device.Kind, device.Id).CancelCommand(result.GetValue(commandId)!, CliValues.User(result.GetValue(user)));
            if (outcome.Outcome != TwinOutcome.Ok)
            {
                return context.Fail(outcome.Error!);
            }

            context.Out.WriteLine(JsonSerializer.Serialize(outcome.Command, context.Json));
            return 0;
        }, cancellationToken));

        return new Command("command", "Send, follow and cancel device commands.") { send, get, cancel };
    }
}
