using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

[Collection(ConsoleCollection.Name)]
public sealed partial class AuditLogPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task The_list_shows_users_System_for_system_events_and_times_in_the_tenants_zone()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync("/console");
        var csp = await response!.HeaderValueAsync("content-security-policy");
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", await response.HeaderValueAsync("x-content-type-options"));
        Assert.Equal("no-cache, no-store", await response.HeaderValueAsync("cache-control"));
        Assert.Equal("no-cache", await response.HeaderValueAsync("pragma"));

        var rows = page.Locator("tr.row");
        await Expect(rows).ToHaveCountAsync(25);
        var first = rows.First;
        await Expect(first.Locator("td[data-label=User]")).ToContainTextAsync("Ada Admin");
        await Expect(first.Locator("td[data-label=Activity]")).ToContainTextAsync("Renamed inbox Support to Help desk");
        await Expect(first.Locator("td[data-label=Category]")).ToHaveTextAsync("Inboxes");
        // 15:06 UTC is 17:06 in Rome in June.
        await Expect(first.Locator("td[data-label=Time]")).ToHaveTextAsync("Jun 22, 2023 05:06 PM");
        await Expect(first.Locator("td[data-label='IP / Location']")).ToContainTextAsync("203.0.113.7");
        await Expect(first.Locator("td[data-label='IP / Location']")).ToContainTextAsync("Milan, Italy");
        await Expect(first.Locator(".badge")).ToHaveTextAsync("Success");
        var system = rows.Nth(1);
        await Expect(system.Locator("td[data-label=User]")).ToHaveTextAsync("System");
        await Expect(system.Locator("td[data-label=Time]")).ToHaveTextAsync("Jun 22, 2023 05:00 PM");
        await ConsoleFixture.ScreenshotAsync(page, "audit-log-list", fullPage: false);

        await page.Locator("details.menu summary").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "CSV" })).ToHaveAttributeAsync("href", "/v1/events/export?format=csv&type=activity");
        await Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "PDF" })).ToBeVisibleAsync();
        await ConsoleFixture.ScreenshotAsync(page, "audit-log-export-menu", fullPage: false);

        var views = await fixture.EventsAsync("type=access&action=audit_log.view&actor=" + ConsoleFixture.AdminEmail);
        Assert.Equal("Ada Lovelace", views[0]!["actor"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Searching_narrows_the_list_and_the_filters_live_in_the_url()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console");
        await page.FillAsync("input[type=search]", "\"Queue 07\"");
        await page.PressAsync("input[type=search]", "Enter");
        await ConsoleFixture.ArrivedAtAsync(page, new Regex("q=%22Queue"));
        await Expect(page.Locator("tr.row")).ToHaveCountAsync(1);
        await Expect(page.Locator("tr.row td[data-label=Activity]")).ToContainTextAsync("Created inbox Queue 07");
        Assert.Contains("q=%22Queue+07%22", page.Url);
        await ConsoleFixture.ScreenshotAsync(page, "audit-log-search");

        await page.SelectOptionAsync("select[name=actor]", "bruno@acme.example");
        await ConsoleFixture.ArrivedAtAsync(page, new Regex("actor=bruno"));
        await Expect(page.Locator("tr.row")).ToHaveCountAsync(1);

        // The same URL, opened afresh, is the same view.
        var shared = page.Url;
        var other = await context.NewPageAsync();
        await other.GotoAsync(shared);
        await Expect(other.Locator("input[type=search]")).ToHaveValueAsync("\"Queue 07\"");
        await Expect(other.Locator("form.filters select[name=actor]")).ToHaveValueAsync("bruno@acme.example");
        await Expect(other.Locator("tr.row")).ToHaveCountAsync(1);

        await page.GotoAsync("/console?q=" + Uri.EscapeDataString("colour:blue"));
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("colour:blue");
        await Expect(page.Locator("tr.row")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Each_tab_shows_its_log_type()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console");
        await ConsoleFixture.FollowAsync(page.GetByRole(AriaRole.Link, new() { Name = "Access", Exact = true }));
        Assert.Contains("type=access", page.Url);
        await Expect(page.Locator(".tab.active")).ToHaveTextAsync("Access");
        await Expect(page.Locator("tr.row", new() { HasText = "user.login" })).ToHaveCountAsync(1);
        await Expect(page.Locator("tr.row", new() { HasText = "inbox.create" })).ToHaveCountAsync(0);

        await ConsoleFixture.FollowAsync(page.GetByRole(AriaRole.Link, new() { Name = "Webhook failures" }));
        // Witness records its own failed deliveries here too (the settings tests share this tenant and
        // deliver to loopback), so the seeded failure is picked out by its text.
        var seeded = page.Locator("tr.row", new() { HasText = "Webhook delivery failed" });
        await Expect(seeded).ToHaveCountAsync(1);
        await Expect(seeded.Locator("td[data-label=User]")).ToHaveTextAsync("System");
        await Expect(seeded.Locator(".badge")).ToHaveTextAsync("Failure");
        await Expect(page.Locator("tr.row", new() { HasText = "user.login" })).ToHaveCountAsync(0);
        await Expect(page.Locator("tr.row", new() { HasText = "inbox.create" })).ToHaveCountAsync(0);
        await ConsoleFixture.ScreenshotAsync(page, "audit-log-webhook-failures");

        await ConsoleFixture.FollowAsync(page.GetByRole(AriaRole.Link, new() { Name = "Integration failures" }));
        await Expect(page.Locator(".empty")).ToContainTextAsync("No integration failures events yet");
    }

    [Fact]
    public async Task Pages_go_forward_and_back_by_cursor_and_rows_per_page_changes_the_page_size()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console?rows=10");
        var rows = page.Locator("tr.row");
        await Expect(rows).ToHaveCountAsync(10);
        var pageOne = await EventIdsAsync(page);

        var pages = new List<string[]> { pageOne };
        while (await page.Locator("a[rel=next]").CountAsync() > 0)
        {
            await ConsoleFixture.FollowAsync(page.Locator("a[rel=next]"));
            pages.Add(await EventIdsAsync(page));
        }

        Assert.Equal([10, 10, 10, 2], pages.Select(p => p.Length));
        Assert.Equal(ConsoleFixture.ActivityEvents, pages.SelectMany(p => p).Distinct().Count());
        await Expect(page.Locator(".pager-info")).ToHaveTextAsync("Page 4 · rows 31–32");
        Assert.DoesNotContain("offset", page.Url, StringComparison.OrdinalIgnoreCase);
        await ConsoleFixture.ScreenshotAsync(page, "audit-log-last-page");

        await ConsoleFixture.FollowAsync(page.Locator("a[rel=prev]"));
        Assert.Equal(pages[2], await EventIdsAsync(page));
        await ConsoleFixture.FollowAsync(page.Locator("a[rel=prev]"));
        Assert.Equal(pages[1], await EventIdsAsync(page));
        await ConsoleFixture.FollowAsync(page.Locator("a[rel=prev]"));
        Assert.Equal(pageOne, await EventIdsAsync(page));
        await Expect(page.Locator("span.btn.disabled", new() { HasText = "Previous" })).ToBeVisibleAsync();

        await page.SelectOptionAsync("select[name=rows]", "50");
        await ConsoleFixture.ArrivedAtAsync(page, new Regex("rows=50"));
        await Expect(rows).ToHaveCountAsync(ConsoleFixture.ActivityEvents);
        await Expect(page.Locator("span.btn.disabled", new() { HasText = "Next" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task At_phone_width_the_list_and_the_details_fit_the_screen()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState, width: 390, height: 844);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console?rows=10");
        await Expect(page.Locator("tr.row")).ToHaveCountAsync(10);
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");
        Assert.False(overflow);
        await ConsoleFixture.ScreenshotAsync(page, "phone-audit-log", fullPage: false);

        await ConsoleFixture.FollowAsync(page.Locator("tr.row").First.Locator("a.row-open"));
        await Expect(page.Locator("aside.drawer")).ToBeVisibleAsync();
        var drawer = await page.Locator("aside.drawer").BoundingBoxAsync();
        Assert.Equal(390, drawer!.Width, 1);
        await ConsoleFixture.ScreenshotAsync(page, "phone-event-details", fullPage: false);
    }

    private static async Task<string[]> EventIdsAsync(IPage page) =>
        [.. await page.Locator("tr.row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)")];
}
