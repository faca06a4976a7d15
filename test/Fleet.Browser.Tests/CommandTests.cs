using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;
using Fleet.Silo.Tests.Mqtt;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using MqttDevices = Fleet.Silo.Tests.Mqtt.Devices;

namespace Fleet.Browser.Tests;

/// <summary>A crew makes a lamp blink from its device page: the command reaches the lamp over MQTT, the lamp answers, the page shows the outcome live.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CommandTests(BrowserFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task ABlinkFromDeviceDetailReachesTheLampAndTheOutcomeShowsLive()
    {
        var (id, secret) = await MqttDevices.ProvisionAsync(Host.Http, "lamp");
        await using var lamp = await TestDevice.ConnectAsync(fixture.MqttPort, "lamp", id, secret);
        await lamp.SubscribeAsync(lamp.Prefix + "commands/+");

        var page = await fixture.SignedInPageAsync(await Host.CreateKeyAsync("maintenance", "crew-blink"));
        var errors = new PageErrors(page);
        await page.GotoAsync($"/#/device/lamp/{id}");
        await Expect(page.Locator(".page[data-page=device]")).ToHaveAttributeAsync("data-loaded", "true");
        await Expect(page.Locator("form[data-command=dim]")).ToHaveCountAsync(0); // maintenance may only blink

        var blink = page.Locator("form[data-command=blink]");
        await blink.GetByLabel("seconds").FillAsync("5");
        await blink.GetByRole(AriaRole.Button, new() { Name = "Blink" }).ClickAsync();

        var command = await lamp.WaitForAsync(
            received => received.Topic.StartsWith(lamp.Prefix + "commands/", StringComparison.Ordinal) && (string?)received.Json["name"] == "blink",
            "the blink command",
            TimeSpan.FromSeconds(20));
        Assert.Equal(5, command.Json["args"]!["seconds"]!.GetValue<int>());
        var commandId = command.Topic[(lamp.Prefix + "commands/").Length..];
        await Expect(page.Locator("#command-outcome")).ToHaveAttributeAsync("data-state", "sent");

        await lamp.PublishAsync($"commands/{commandId}/result", """{"status": "succeeded", "detail": "blinked for 5 s"}""");

        await Expect(page.Locator("#command-outcome")).ToHaveAttributeAsync("data-state", "succeeded");
        await Expect(page.Locator("#command-outcome")).ToContainTextAsync("blinked for 5 s");
        await Expect(page.Locator($"#device-commands tr[data-command-id='{commandId}']")).ToHaveAttributeAsync("data-state", "succeeded");
        var stored = await Host.Http.GetFromJsonAsync<JsonNode>($"/api/devices/lamp/{id}/commands/{commandId}");
        Assert.Equal("succeeded", stored!["state"]!.GetValue<string>());
        Assert.Equal("crew-blink", stored["requestedBy"]!.GetValue<string>());
        await BrowserFixture.ScreenshotAsync(page, "device-command");
        errors.AssertNone();
    }
}
