using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Grains.Schedules;
using Fleet.Schedules;
using Fleet.Silo.Tests.Hosting;
using static Fleet.Silo.Tests.Api.ApiTestKit;

namespace Fleet.Silo.Tests.Schedules;

/// <summary>/api/schedules: set, read (with the next step computed for Duisburg), replace, delete, refuse bad fields, audit.</summary>
[Collection(HostCollection.Name)]
public sealed class SchedulesApiTests(HostFixture fixture)
{
    private static readonly object MitteNight = new
    {
        borough = "mitte",
        steps = new object[] { new { at = "sunset-15", level = 100 }, new { at = "23:00", level = 60 }, new { at = "sunrise+10", level = 0 } },
    };

    private static readonly object MorningGroup = new { ids = new[] { "DU-L-000001", "DU-L-000002" }, steps = new[] { new { at = "7:30", level = 0 } } };

    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task AScheduleIsCreatedReadReplacedListedAndDeleted()
    {
        var id = NewId("mitte-night");
        var before = DateTimeOffset.UtcNow;

        using var created = await Http.PutAsJsonAsync($"/api/schedules/{id}", MitteNight);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/schedules/{id}", created.Headers.Location!.OriginalString);
        var schedule = await ReadJsonAsync(created);
        Assert.Equal("Mitte", schedule["spec"]!["borough"]!.GetValue<string>());
        Assert.Equal(1, schedule["version"]!.GetValue<long>());

        // The next step is the one the day plan computes for Duisburg from now.
        var expected = new DayPlan(
            [new ScheduleStep { At = "sunset-15", Level = 100 }, new ScheduleStep { At = "23:00", Level = 60 }, new ScheduleStep { At = "sunrise+10", Level = 0 }],
            SchedulePlace.Duisburg).NextAfter(before)!;
        var next = schedule["next"]!;
        Assert.Equal(expected.Step.At, next["at"]!.GetValue<string>());
        Assert.Equal(expected.Step.Level, next["level"]!.GetValue<int>());
        Assert.Equal(expected.Time, next["time"]!.GetValue<DateTimeOffset>());
        Assert.Equal(ScheduleJobs.JobId(id, 1, expected), next["jobId"]!.GetValue<string>());

        var read = await Http.GetFromJsonAsync<JsonNode>($"/api/schedules/{id}");
        Assert.Equal(next.ToJsonString(), read!["next"]!.ToJsonString());

        using var replaced = await Http.PutAsJsonAsync($"/api/schedules/{id}", MorningGroup);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var second = await ReadJsonAsync(replaced);
        Assert.Equal(2, second["version"]!.GetValue<long>());
        Assert.Equal(2, second["spec"]!["ids"]!.AsArray().Count);
        Assert.Equal("07:30", second["next"]!["at"]!.GetValue<string>());

        var list = await Http.GetFromJsonAsync<JsonNode>("/api/schedules");
        Assert.Contains(list!["items"]!.AsArray(), item => item!["id"]!.GetValue<string>() == id);

        using var deleted = await Http.DeleteAsync($"/api/schedules/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await Http.GetAsync($"/api/schedules/{id}");
        await AssertProblemAsync(gone, 404, id);
        using var again = await Http.DeleteAsync($"/api/schedules/{id}");
        await AssertProblemAsync(again, 404, id);
        list = await Http.GetFromJsonAsync<JsonNode>("/api/schedules");
        Assert.DoesNotContain(list!["items"]!.AsArray(), item => item!["id"]!.GetValue<string>() == id);
    }

    [Theory]
    [InlineData("""{"borough": "Mitte", "steps": [{"at": "sunset", "level": 100}, {"at": "25:00", "level": 60}]}""", "steps[1].at")]
    [InlineData("""{"borough": "Mitte", "steps": [{"at": "sunset", "level": 101}]}""", "steps[0].level")]
    [InlineData("""{"borough": "Mitte", "steps": [{"at": "sunset", "level": 40.5}]}""", "steps[0].level")]
    [InlineData("""{"borough": "Mitte", "steps": [{"at": "sunset"}]}""", "steps[0].level")]
    [InlineData("""{"borough": "Mitte", "steps": []}""", "steps")]
    [InlineData("""{"borough": "Atlantis", "steps": [{"at": "sunset", "level": 100}]}""", "borough")]
    [InlineData("""{"borough": "Mitte", "ids": ["DU-L-000001"], "steps": [{"at": "sunset", "level": 100}]}""", "borough")]
    [InlineData("""{"ids": ["DU-L-000001", "../x"], "steps": [{"at": "sunset", "level": 100}]}""", "ids[1]")]
    public async Task ABadFieldIsA400ThatNamesIt(string json, string field)
    {
        var id = NewId("bad");
        using var response = await Http.PutAsync($"/api/schedules/{id}", new StringContent(json, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, 400, field + ":");
        var problem = await ReadJsonAsync(response);
        Assert.NotNull(problem["errors"]![field]);
        using var missing = await Http.GetAsync($"/api/schedules/{id}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ABadScheduleIdIsA400()
    {
        using var put = await Http.PutAsJsonAsync("/api/schedules/-night", MitteNight);
        await AssertProblemAsync(put, 400, "id:");

        using var get = await Http.GetAsync("/api/schedules/-night");
        await AssertProblemAsync(get, 400, "schedule id");
    }

    [Fact]
    public async Task SettingAndDeletingAreAudited()
    {
        var id = NewId("audited");
        using (var put = await Http.PutAsJsonAsync($"/api/schedules/{id}", MitteNight))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var delete = await Http.DeleteAsync($"/api/schedules/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        var page = await Http.GetFromJsonAsync<JsonNode>($"/api/audit?kind=schedule&deviceId={id}");
        var entries = page!["entries"]!.AsArray();
        Assert.Equal(["schedule.delete", "schedule.set"], entries.Select(entry => entry!["action"]!.GetValue<string>()));
        Assert.All(entries, entry => Assert.Equal("ok", entry!["outcome"]!.GetValue<string>()));
        Assert.Contains("sunset-15=100", entries[1]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AScheduleSurvivesARestartOnTheSqliteStore()
    {
        await using var host = new FleetHost();
        await host.StartAsync();
        var id = NewId("durable");
        using (var put = await host.Http.PutAsJsonAsync($"/api/schedules/{id}", MitteNight))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var before = await host.Http.GetFromJsonAsync<JsonNode>($"/api/schedules/{id}");

        await host.RestartAsync();

        var after = await host.Http.GetFromJsonAsync<JsonNode>($"/api/schedules/{id}");
        Assert.Equal(before!["spec"]!.ToJsonString(), after!["spec"]!.ToJsonString());
        Assert.Equal(1, after["version"]!.GetValue<long>());
        Assert.Equal(
            before["updatedAt"]!.GetValue<DateTimeOffset>().ToString("O", CultureInfo.InvariantCulture),
            after["updatedAt"]!.GetValue<DateTimeOffset>().ToString("O", CultureInfo.InvariantCulture));
        var list = await host.Http.GetFromJsonAsync<JsonNode>("/api/schedules");
        Assert.Equal(id, Assert.Single(list!["items"]!.AsArray())!["id"]!.GetValue<string>());
    }
}
