using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Fleet.Silo.Tests.Hosting;
using Microsoft.Playwright;

namespace Fleet.Browser.Tests;

/// <summary>
/// A real Fleet host with a small live demo fleet and MQTT on free loopback ports, and Debian's
/// Chromium driven headless through Playwright (no browser download: ./test.sh installs the
/// chromium package). Shared by the browser tests; each test opens its own browser context.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The demo fleet's size: small enough to start in seconds, large enough for every kind and borough.</summary>
    public static readonly IReadOnlyDictionary<string, int> DemoFleet = new Dictionary<string, int>
    {
        ["Lamps"] = 140, ["ParkingBays"] = 60, ["AccessPoints"] = 14, ["Meters"] = 70,
    };

    private IPlaywright? _playwright;

    public FleetHost Host { get; } = new(new Dictionary<string, string>
    {
        ["Fleet:Demo:Enabled"] = "true",
        ["Fleet:Demo:LiveDevices"] = "true",
        ["Fleet:Demo:LiveDeviceInterval"] = "00:00:05",
        ["Fleet:Demo:Lamps"] = Text(DemoFleet["Lamps"]),
        ["Fleet:Demo:ParkingBays"] = Text(DemoFleet["ParkingBays"]),
        ["Fleet:Demo:AccessPoints"] = Text(DemoFleet["AccessPoints"]),
        ["Fleet:Demo:Meters"] = Text(DemoFleet["Meters"]),
        ["Fleet:Mqtt:Port"] = Text(FleetHost.FreePort()),
        ["Fleet:Mqtt:BindAddress"] = "127.0.0.1",
    });

    public IBrowser Browser { get; private set; } = null!;

    public static int DemoDevices => DemoFleet.Values.Sum();

    public int MqttPort => int.Parse(Host.Setting("Fleet:Mqtt:Port"), CultureInfo.InvariantCulture);

    /// <summary>Where each test leaves screenshots of the pages it saw (the test output directory).</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The browser tests drive Debian's Chromium at {ChromiumPath}, which is missing: ./test.sh installs it (apt-get install chromium).");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        await Host.StartAsync();
        await Poll.UntilAsync(async () => await IndexedDevicesAsync() >= DemoDevices, "the demo fleet to be provisioned and indexed", TimeSpan.FromSeconds(120));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"],
        });
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Host.DisposeAsync();
    }

    /// <summary>The devices the fleet index knows, summed over the boroughs.</summary>
    public async Task<int> IndexedDevicesAsync()
    {
        var figures = await Host.Http.GetFromJsonAsync<JsonNode>("/api/boroughs");
        return figures!["boroughs"]!.AsArray().Sum(borough => borough!["devices"]!.GetValue<int>());
    }

    /// <summary>A fresh browser context (its own sessionStorage and cookies) on the Fleet UI, signed in with <paramref name="key"/>.</summary>
    public async Task<IPage> SignedInPageAsync(string key, int width = 1280, int height = 860)
    {
        var page = await NewPageAsync(width, height);
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "on");
        return page;
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 860)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.Http.BaseAddress!.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
