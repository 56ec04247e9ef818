using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Witness.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

/// <summary>
/// The activity histogram and summaries of the Audit Logs page, in Chromium: in the embedded viewer of
/// a tenant of its own (Europe/Rome, events every 20 minutes over the weekend of 30 October 2022, whose
/// Sunday has 25 hours there, every seventh a failure) and on the console of the fixture's tenant.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ActivityChartTests(ConsoleFixture fixture)
{
    private static readonly DateTimeOffset First = new(2022, 10, 28, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_viewer_draws_one_bar_per_hour_with_failures_stacked_and_a_bar_narrows_the_list_to_its_hour()
    {
        var (viewer, key) = await ViewerOfOwnTenantAsync();
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = WatchForProblems(page);
        await page.GotoAsync($"{viewer}&range=custom&from=2022-10-29&to=2022-10-30");

        var bars = page.Locator("svg.chart a.bar");
        await Expect(bars).ToHaveCountAsync(24 + 25);
        await Expect(page.Locator("svg.chart title#chart-title")).ToHaveCountAsync(1);
        await Expect(page.Locator("svg.chart desc#chart-desc")).ToContainTextAsync("Events per hour");
        Assert.True(await page.Locator("svg.chart rect.bar-fail").CountAsync() > 0);
        var listed = await CountAsync(key, "type=activity&from=2022-10-29&to=2022-10-30");
        await Expect(page.Locator(".chart-total strong").First).ToHaveTextAsync(listed.Events.ToString("N0", CultureInfo.InvariantCulture));
        await Expect(page.Locator(".chart-total strong.failure-text")).ToHaveTextAsync(listed.Failures.ToString("N0", CultureInfo.InvariantCulture));
        // The fall-back hour happens twice: 02:00 at +02:00 and again at +01:00.
        await Expect(page.Locator("svg.chart a.bar[aria-label^='Oct 30, 2022 02:00 (+02:00)']")).ToHaveCountAsync(1);
        await Expect(page.Locator("svg.chart a.bar[aria-label^='Oct 30, 2022 02:00 (+01:00)']")).ToHaveCountAsync(1);
        await Expect(page.Locator("table.chart-table tbody tr")).ToHaveCountAsync(49);
        await ConsoleFixture.ScreenshotAsync(page, "activity-chart-viewer", fullPage: false);

        // The hour from 10:00 Rome time on Sunday: 3 events, by the key's own count.
        var bar = page.Locator("svg.chart a.bar[aria-label^='Oct 30, 2022 10:00']");
        var href = await bar.GetAttributeAsync("href");
        Assert.Contains("range=custom", href);
        Assert.Contains("from=2022-10-30T09%3A00%3A00Z", href);
        Assert.Contains("to=2022-10-30T10%3A00%3A00Z", href);
        await bar.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await ConsoleFixture.ArrivedAtAsync(page, new Regex("from=2022-10-30T09"));
        var hour = await CountAsync(key, "type=activity&from=2022-10-30T09:00:00Z&to=2022-10-30T10:00:00Z");
        Assert.Equal(3, hour.Events);
        await Expect(page.Locator("tr.row")).ToHaveCountAsync(3);
        await Expect(page.Locator("svg.chart a.bar")).ToHaveCountAsync(60);
        await Expect(page.Locator("form.filters input[name=from]")).ToHaveValueAsync("2022-10-30T09:00:00Z");

        // A summary entry adds its filter.
        await ConsoleFixture.FollowAsync(page.Locator("#top-actors a").First);
        Assert.Contains("actor=", page.Url);
        await Expect(page.Locator("tr.row td[data-label=User]").First).ToBeVisibleAsync();
        Assert.Empty(problems);
    }

    [Fact]
    public async Task The_viewer_chart_fits_a_phone_and_its_day_bars_narrow_to_whole_days()
    {
        var (viewer, key) = await ViewerOfOwnTenantAsync();
        await using var context = await fixture.NewContextAsync(width: 390, height: 844);
        var page = await context.NewPageAsync();
        var problems = WatchForProblems(page);
        await page.GotoAsync($"{viewer}&range=custom&from=2022-10-01&to=2022-10-31");

        var bars = page.Locator("svg.chart a.bar");
        await Expect(bars).ToHaveCountAsync(31);
        var box = await page.Locator("svg.chart").BoundingBoxAsync();
        Assert.True(box!.Width is > 200 and <= 390, $"the chart is {box.Width}px wide");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 390"));
        await ConsoleFixture.ScreenshotAsync(page, "activity-chart-phone");

        var sunday = page.Locator("svg.chart a.bar[aria-label^='Oct 30, 2022']");
        var listed = await CountAsync(key, "type=activity&from=2022-10-30&to=2022-10-30");
        Assert.Equal(25 * 3, listed.Events);
        await Expect(sunday).ToHaveAttributeAsync("aria-label", $"Oct 30, 2022: {listed.Events} events, {listed.Failures} failures");
        await page.Locator("details.chart-data summary").ClickAsync();
        await ConsoleFixture.FollowAsync(page.Locator("table.chart-table a", new() { HasText = "Oct 30, 2022" }));
        Assert.Contains("from=2022-10-30&to=2022-10-30", page.Url);
        await Expect(page.Locator("form.filters input[name=from]")).ToHaveValueAsync("2022-10-30");
        await Expect(page.Locator("svg.chart a.bar")).ToHaveCountAsync(25);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task The_console_page_shows_the_chart_and_summaries_without_script_errors_or_CSP_violations()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var page = await context.NewPageAsync();
        var problems = WatchForProblems(page);
        var response = await page.GotoAsync("/console?range=custom&from=2023-06-22&to=2023-06-22");
        Assert.DoesNotContain("unsafe-inline", await response!.HeaderValueAsync("content-security-policy"));

        await Expect(page.Locator("svg.chart a.bar")).ToHaveCountAsync(24);
        var listed = await fixture.EventsAsync("type=activity&from=2023-06-22&to=2023-06-22&limit=1000");
        await Expect(page.Locator(".chart-total strong").First).ToHaveTextAsync(listed.Count.ToString(CultureInfo.InvariantCulture));
        await Expect(page.Locator("#top-actors li").First).ToContainTextAsync("u_2");
        await Expect(page.Locator("#top-actors li").First).ToContainTextAsync("30");
        await Expect(page.Locator("#top-actions a").First).ToHaveAttributeAsync("href", new Regex("action=inbox.create"));
        await Expect(page.Locator("#top-ips a").First).ToHaveAttributeAsync("href", new Regex("q=ip%3A203.0.113.7"));
        await ConsoleFixture.ScreenshotAsync(page, "activity-chart-console", fullPage: false);

        await ConsoleFixture.FollowAsync(page.Locator("#top-ips a").First);
        await Expect(page.Locator("input[type=search]")).ToHaveValueAsync("ip:203.0.113.7");
        Assert.Empty(problems);
    }

    /// <summary>Script errors, console errors (Chromium reports CSP refusals there) and securitypolicyviolation events of the page.</summary>
    private static List<string> WatchForProblems(IPage page)
    {
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                problems.Add($"console {message.Type}: {message.Text}");
            }
        };
        page.AddInitScriptAsync("document.addEventListener('securitypolicyviolation', e => console.error('CSP violation: ' + e.violatedDirective))").GetAwaiter().GetResult();
        return problems;
    }

    private async Task<(string Url, string Key)> ViewerOfOwnTenantAsync()
    {
        var tenant = Some.Tenant();
        var key = await fixture.Server.CreateKeyAsync(tenant);
        using var client = fixture.Server.Client(key);
        (await client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["time_zone"] = "Europe/Rome" }))).EnsureSuccessStatusCode();
        string[] actions = ["inbox.create", "inbox.update", "team.delete"];
        await Some.SendManyAsync(client, tenant, 216, i => Some.Event(tenant, actions[i % 3], e =>
        {
            e["occurred_at"] = First.AddMinutes(20 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            e["outcome"] = i % 7 == 0 ? "failure" : "success";
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 4}", ["name"] = $"User <b>{i % 4}</b>", ["email"] = $"user{i % 4}@example.com" };
        }));
        var response = await client.PostAsync("/v1/viewer-tokens", Some.Json(new JsonObject { ["ttl_seconds"] = 600 }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.JsonAsync()).GetProperty("url").GetString()!, key);
    }

    private async Task<(long Events, long Failures)> CountAsync(string key, string query)
    {
        using var client = fixture.Server.Client(key);
        var events = (await (await client.GetAsync($"/v1/events?{query}&limit=1000")).JsonAsync()).GetProperty("events").EnumerateArray().ToList();
        return (events.Count, events.Count(e => e.GetProperty("outcome").GetString() == "failure"));
    }
}
