using Fleet.Silo.Alarms;
using Fleet.Silo.Api;
using Fleet.Silo.ApiDocs;
using Fleet.Silo.Audit;
using Fleet.Silo.Auth;
using Fleet.Silo.Dashboard;
using Fleet.Silo.Demo;
using Fleet.Silo.Events;
using Fleet.Silo.Hosting;
using Fleet.Silo.Index;
using Fleet.Silo.Jobs;
using Fleet.Silo.Mqtt;
using Fleet.Silo.Ngsi;
using Fleet.Silo.Schedules;
using Microsoft.Extensions.Options;

namespace Fleet.Silo;

/// <summary>Builds the Fleet host: the Orleans silo with its HTTP API and MQTT device gateway and the dashboard.</summary>
public static class FleetApp
{
    public static WebApplication Build(string[] args)
    {
        // --demo forces the demo fleet (and fresh credentials) even when the store already has it.
        var force = args.Contains("--demo");
        // Settings and assets come from beside the binary; ./data stays relative to the caller.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args.Where(arg => arg != "--demo").ToArray(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (force)
        {
            builder.Configuration["Fleet:Demo:Force"] = "true";
        }

        var options = builder.AddFleetOptions();
        builder.ListenOnConfiguredUrls();
        builder.AddFleetSilo(options);
        builder.AddFleetEvents();
        builder.AddMqttGateway();
        builder.AddFleetDashboard();
        builder.Services.AddFleetApi();
        builder.Services.AddFleetAuth();
        builder.Services.AddFleetAudit();
        builder.Services.AddFleetIndex();
        builder.Services.AddFleetAlarms();
        builder.Services.AddFleetNgsi();
        builder.Services.AddFleetSchedules();
        builder.Services.AddFleetJobs();
        builder.Services.AddFleetHealth();
        DemoProvisioner.AddFleetDemo(builder.Services);

        var app = builder.Build();
        app.MapFleetApi();
        app.MapFleetDashboard();
        app.MapFleetIndexApi();
        app.MapFleetAlarmsApi();
        app.MapFleetEventsApi();
        app.MapFleetNgsiApi();
        app.MapFleetSchedulesApi();
        app.MapJobsApi();
        app.MapFleetApiDocs();
        app.MapMqttGateway();
        app.MapFleetHealth();
        return app;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            await Build(args).RunAsync();
            return 0;
        }
        catch (OptionsValidationException exception)
        {
            await Console.Error.WriteLineAsync("Fleet cannot start: " + string.Join(" ", exception.Failures));
            return 2;
        }
    }
}
