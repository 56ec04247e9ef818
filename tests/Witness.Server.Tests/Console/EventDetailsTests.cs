using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

[Collection(ConsoleCollection.Name)]
public sealed class EventDetailsTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task Details_show_every_field_highlight_before_and_after_and_carry_a_verified_mark()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console?q=action:inbox.update");
        // A click anywhere on the row opens it, not only on its arrow.
        await page.Locator("tr.row", new() { HasText = "Renamed inbox" }).Locator("td[data-label=Category]").ClickAsync();
        await ConsoleFixture.ArrivedAtAsync(page, new System.Text.RegularExpressions.Regex("event=evt-inbox-update"));
        Assert.Contains("event=evt-inbox-update", page.Url);
        Assert.Contains("q=action", page.Url);

        var drawer = page.Locator("aside.drawer");
        await Expect(drawer.Locator("h2")).ToHaveTextAsync("inbox.update");
        await Expect(drawer.Locator(".drawer-desc")).ToHaveTextAsync("Renamed inbox Support to Help desk");
        async Task Has(string label, string value) =>
            await Expect(drawer.Locator($"dt:text-is('{label}') + dd")).ToContainTextAsync(value);
        await Has("Name", "Ada Admin");
        await Has("Email", "user@cognigy.com");
        await Has("Role", "Administrator");
        await Has("Time", "Jun 22, 2023 05:06:00 PM");
        await Has("Time (UTC)", "2023-06-22 15:06:00 UTC");
        await Has("Log type", "Activity");
        await Has("IP address", "203.0.113.7");
        await Has("Location", "Milan, Italy");
        await Has("User agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/127.0");
        await Has("Request ID", "req_42");
        await Has("Session ID", "sess_7");
        await Has("Outcome", "Success");
        await Has("Sequence", "1");
        await Expect(drawer.Locator(".targets a.target-name")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^https://app\\.example\\.com/inboxes/\\d+$"));
        await Expect(drawer.Locator("pre.json")).ToContainTextAsync("\"plan\": \"enterprise\"");

        await Expect(drawer.Locator("[data-field=name]")).ToHaveAttributeAsync("data-change", "changed");
        await Expect(drawer.Locator("[data-field=name] .mark-before")).ToContainTextAsync("\"Support\"");
        await Expect(drawer.Locator("[data-field=name] .mark-after")).ToContainTextAsync("\"Help desk\"");
        await Expect(drawer.Locator("[data-field=auto_assign]")).ToHaveAttributeAsync("data-change", "changed");
        await Expect(drawer.Locator("[data-field=greeting]")).ToHaveAttributeAsync("data-change", "same");
        await Expect(drawer.Locator("[data-field=legacy]")).ToHaveAttributeAsync("data-change", "removed");
        await Expect(drawer.Locator("[data-field=sla_hours]")).ToHaveAttributeAsync("data-change", "added");
        await Expect(drawer.Locator("[data-field=sla_hours] .mark-after")).ToContainTextAsync("4");
        var changedColour = await drawer.Locator("[data-field=name] .mark-after").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        var sameColour = await drawer.Locator("[data-field=greeting] .diff-cell").Last.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        Assert.NotEqual(sameColour, changedColour);

        using var client = fixture.Server.Client(fixture.AdminKey);
        var stored = await (await client.GetAsync("/v1/events/evt-inbox-update")).Content.ReadAsStringAsync();
        var hash = System.Text.Json.JsonDocument.Parse(stored).RootElement.GetProperty("hash").GetString()!;
        await Has("Hash", hash);
        await Expect(drawer.Locator(".verified")).ToHaveTextAsync("Verified");
        await ConsoleFixture.ScreenshotAsync(page, "event-details", fullPage: false);
        await drawer.Locator(".diff").ScrollIntoViewIfNeededAsync();
        await ConsoleFixture.ScreenshotAsync(page, "event-details-before-after", fullPage: false);

        await page.Keyboard.PressAsync("Escape");
        await ConsoleFixture.ArrivedAtAsync(page, new System.Text.RegularExpressions.Regex("^(?!.*event=)"));
        await Expect(drawer).ToHaveCountAsync(0);
        Assert.DoesNotContain("event=", page.Url);
        Assert.Contains("q=action", page.Url);
    }

    [Fact]
    public async Task An_unknown_event_id_says_so_in_the_panel()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console?event=evt-none");
        await Expect(page.Locator("aside.drawer h2")).ToHaveTextAsync("Event not found");
    }
}
