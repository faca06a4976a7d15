using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;
using Fleet.Silo.Tests.Mqtt;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using MqttDevices = Fleet.Silo.Tests.Mqtt.Devices;

namespace Fleet.Browser.Tests;

/// <summary>
/// The maintenance crews' UI in Debian's Chromium against a real host with a live demo fleet:
/// sign-in, the overview's figures, an MQTT alarm arriving live and acknowledged from the page,
/// the map, and the Orleans dashboard for admins only. Each page is saved as a screenshot.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardTests(BrowserFixture fixture)
{
    private FleetHost Host => fixture.Host;

    [Fact]
    public async Task SigningInShowsTheNameRoleAndWhatTheRoleMaySee()
    {
        var page = await fixture.NewPageAsync();
        var errors = new PageErrors(page);
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync("not-a-valid-key-at-all-0123456789");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#sign-in-error")).ToContainTextAsync("not valid");
        await BrowserFixture.ScreenshotAsync(page, "sign-in");

        var crew = await fixture.SignedInPageAsync(await Host.CreateKeyAsync("maintenance", "crew-north"));
        await Expect(crew.Locator("#who-name")).ToHaveTextAsync("crew-north");
        await Expect(crew.Locator("#who-role")).ToHaveTextAsync("maintenance");
        await Expect(crew.Locator("#orleans-link")).ToBeHiddenAsync();

        var admin = await fixture.SignedInPageAsync(Host.AdminKey);
        await Expect(admin.Locator("#who-role")).ToHaveTextAsync("admin");
        await Expect(admin.Locator("#orleans-link")).ToBeVisibleAsync();
        errors.AssertNone();
    }

    [Fact]
    public async Task TheOverviewShowsTheDemoFleetsCountsAsTheApiHasThem()
    {
        var page = await fixture.SignedInPageAsync(Host.AdminKey);
        var errors = new PageErrors(page);
        await page.GotoAsync("/#/overview");
        await Expect(page.Locator(".page[data-page=overview]")).ToHaveAttributeAsync("data-loaded", "true");

        var figures = (await Host.Http.GetFromJsonAsync<JsonNode>("/api/boroughs"))!["boroughs"]!.AsArray();
        var total = figures.Sum(b => b!["devices"]!.GetValue<int>());
        Assert.True(total >= BrowserFixture.DemoDevices, $"the index has {total} devices, fewer than the demo fleet's {BrowserFixture.DemoDevices}");
        await Expect(page.Locator("[data-figure=devices]")).ToHaveAttributeAsync("data-value", total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var borough in figures)
        {
            var name = borough!["name"]!.GetValue<string>();
            await Expect(page.Locator($"#overview-boroughs tr[data-borough='{name}']"))
                .ToHaveAttributeAsync("data-devices", borough["devices"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var kind in new[] { "lamp", "parking", "wifi", "meter" })
        {
            var devices = figures.Sum(b => b![kind]!["devices"]!.GetValue<int>());
            await Expect(page.Locator($"#overview-kinds tr[data-kind={kind}]")).ToHaveAttributeAsync("data-devices", devices.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        await BrowserFixture.ScreenshotAsync(page, "overview");

        await page.SetViewportSizeAsync(390, 844);
        await BrowserFixture.ScreenshotAsync(page, "overview-phone");
        errors.AssertNone();
    }

    [Fact]
    public async Task AnAlarmFromMqttAppearsWithoutReloadAndIsAcknowledgedFromThePage()
    {
        var page = await fixture.SignedInPageAsync(await Host.CreateKeyAsync("maintenance", "crew-south"));
        var errors = new PageErrors(page);
        await page.GotoAsync("/#/alarms");
        await Expect(page.Locator(".page[data-page=alarms]")).ToHaveAttributeAsync("data-loaded", "true");
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        var (id, secret) = await MqttDevices.ProvisionAsync(Host.Http, "meter");
        await using var meter = await TestDevice.ConnectAsync(fixture.MqttPort, "meter", id, secret);
        await meter.PublishAsync("telemetry", """{"seq": 1, "register": 10.5, "leak": true}""");

        var row = page.Locator($"#alarm-table tr[data-device='{id}']");
        await Expect(row).ToHaveAttributeAsync("data-state", "active");
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the alarm list was reloaded");
        await Expect(row).ToContainTextAsync("leak");
        await Expect(row.Locator(".sev")).ToHaveTextAsync("critical");
        await BrowserFixture.ScreenshotAsync(page, "alarms");

        await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await row.GetByLabel($"Comment for leak on {id}").FillAsync("Valve shut, plumber called.");
        await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0); // the list shows active alarms; the acknowledged one leaves it

        var alarm = (await Host.Http.GetFromJsonAsync<JsonNode>($"/api/alarms?deviceId={id}"))!["alarms"]![0]!;
        Assert.Equal("acknowledged", alarm["state"]!.GetValue<string>());
        Assert.Equal("crew-south", alarm["acknowledgedBy"]!.GetValue<string>());
        Assert.Equal("Valve shut, plumber called.", alarm["comment"]!.GetValue<string>());

        await page.Locator("#alarm-state").SelectOptionAsync("acknowledged");
        await Expect(page.Locator($"#alarm-table tr[data-device='{id}']")).ToContainTextAsync("crew-south");
        await page.Locator($"#alarm-table tr[data-device='{id}'] a").ClickAsync();
        await Expect(page.Locator(".page[data-page=device]")).ToHaveAttributeAsync("data-device", id);
        await Expect(page.Locator("#device-faults")).ToContainTextAsync("leak");
        errors.AssertNone();
    }

    [Fact]
    public async Task TheMapDrawsEveryDeviceAndFiltersByKind()
    {
        var page = await fixture.SignedInPageAsync(Host.AdminKey);
        var errors = new PageErrors(page);
        await page.GotoAsync("/#/map");
        await Expect(page.Locator(".page[data-page=map]")).ToHaveAttributeAsync("data-loaded", "true");

        var indexed = await fixture.IndexedDevicesAsync();
        var canvas = page.Locator("#map-canvas");
        var devices = int.Parse((await canvas.GetAttributeAsync("data-devices"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(devices >= BrowserFixture.DemoDevices, $"the map loaded {devices} devices, the demo fleet has {BrowserFixture.DemoDevices}");
        Assert.True(devices <= indexed, $"the map loaded {devices} devices, the index has {indexed}");
        await Expect(canvas).ToHaveAttributeAsync("data-markers", devices.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await BrowserFixture.ScreenshotAsync(page, "map");

        var lamps = (await Host.Http.GetFromJsonAsync<JsonNode>("/api/devices?kind=lamp&limit=1000"))!["items"]!.AsArray().Count;
        await page.GetByLabel("Lamps").UncheckAsync();
        await Expect(canvas).ToHaveAttributeAsync("data-markers", (devices - lamps).ToString(System.Globalization.CultureInfo.InvariantCulture));
        errors.AssertNone();
    }

    [Fact]
    public async Task TheOrleansDashboardLoadsForAnAdminAndIsRefusedOtherwise()
    {
        var admin = await fixture.SignedInPageAsync(Host.AdminKey);
        var counters = admin.WaitForResponseAsync(response => response.Url.Contains("/dashboard/DashboardCounters", StringComparison.Ordinal) && response.Status == 200);
        var opened = await admin.GotoAsync("/dashboard/");
        Assert.Equal((int)HttpStatusCode.OK, opened!.Status);
        await counters;
        await Expect(admin).ToHaveTitleAsync("Orleans Dashboard");
        await Expect(admin.GetByText("Silos").First).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(admin, "orleans-dashboard");

        var crew = await fixture.SignedInPageAsync(await Host.CreateKeyAsync("operator", "ops-desk"));
        var refused = await crew.GotoAsync("/dashboard/");
        Assert.Equal((int)HttpStatusCode.Forbidden, refused!.Status);

        var stranger = await fixture.NewPageAsync();
        var anonymous = await stranger.GotoAsync("/dashboard/");
        Assert.Equal((int)HttpStatusCode.Unauthorized, anonymous!.Status);
    }

    [Fact]
    public async Task DeviceDetailShowsTheTwinAndItsHistory()
    {
        var page = await fixture.SignedInPageAsync(Host.AdminKey);
        var errors = new PageErrors(page);

        // DU-L-000011 is the first demo lamp the simulator keeps alive (the first ten are left for hands).
        await Poll.UntilAsync(async () => (await MqttDevices.TwinAsync(Host.Http, "lamp", "DU-L-000011"))["reported"]!["powerW"] is not null, "the live demo lamp to report", TimeSpan.FromSeconds(60));
        await page.GotoAsync("/#/device/lamp/DU-L-000011");
        await Expect(page.Locator(".page[data-page=device]")).ToHaveAttributeAsync("data-loaded", "true");
        await Expect(page.Locator("#device-twin tr[data-field=powerW]")).ToBeVisibleAsync();
        await Expect(page.Locator("#device-history svg.chart")).ToBeVisibleAsync();

        // An admin gets a form for every lamp command of the silo's catalogue, its inputs bounded as the catalogue says.
        var lampCommands = (await Host.Http.GetFromJsonAsync<JsonNode>("/api/commands/catalogue"))!["kinds"]!["lamp"]!.AsArray();
        await Expect(page.Locator("#device-command-buttons form")).ToHaveCountAsync(lampCommands.Count);
        foreach (var command in lampCommands)
        {
            await Expect(page.Locator($"#device-command-buttons form[data-command={command!["name"]!.GetValue<string>()}]")).ToBeVisibleAsync();
        }

        await Expect(page.Locator("form[data-command=dim] input[name=level]")).ToHaveAttributeAsync("max", "100");
        await Expect(page.Locator("form[data-command=blink] input[name=seconds]")).ToHaveAttributeAsync("min", "1");
        await BrowserFixture.ScreenshotAsync(page, "device");

        errors.AssertNone();
    }

    [Fact]
    public async Task TheJobsPageShowsARunningJobAndAnOperatorCancelsIt()
    {
        // A lamp that never connects keeps its blink queued, so the job stays running until cancelled.
        var (id, _) = await MqttDevices.ProvisionAsync(Host.Http, "lamp");
        using var started = await Host.Http.PostAsJsonAsync("/api/jobs", new
        {
            name = "find the lamp",
            target = new { kind = "lamp", ids = new[] { id } },
            command = new { name = "blink", args = new { seconds = 30 } },
        });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var jobId = (await started.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<string>();

        var scheduleId = $"find-{id}".ToLowerInvariant();
        using var scheduled = await Host.Http.PutAsJsonAsync($"/api/schedules/{scheduleId}", new
        {
            ids = new[] { id },
            steps = new[] { new { at = "sunset-15", level = 100 }, new { at = "23:00", level = 60 } },
        });
        Assert.Equal(HttpStatusCode.Created, scheduled.StatusCode);

        var page = await fixture.SignedInPageAsync(await Host.CreateKeyAsync("operator", "ops-desk"));
        var errors = new PageErrors(page);
        await page.GotoAsync("/#/jobs");
        var schedule = page.Locator($"#schedules tr[data-schedule='{scheduleId}']");
        await Expect(schedule.Locator("[data-applies]")).ToHaveTextAsync("1 lamp");
        await Expect(schedule.Locator("[data-steps]")).ToHaveTextAsync("sunset-15 → 100% · 23:00 → 60%");
        var row = page.Locator($"#jobs tr[data-job='{jobId}']");
        await Expect(row).ToHaveAttributeAsync("data-state", "running");
        await Expect(row).ToContainTextAsync("find the lamp");
        await Expect(row).ToContainTextAsync("blink");
        await BrowserFixture.ScreenshotAsync(page, "jobs");

        await row.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-state", "cancelled");
        var job = await Host.Http.GetFromJsonAsync<JsonNode>($"/api/jobs/{jobId}");
        Assert.Equal("cancelled", job!["state"]!.GetValue<string>());
        errors.AssertNone();
    }
}
