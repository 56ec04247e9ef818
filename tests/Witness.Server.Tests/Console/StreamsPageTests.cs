using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Witness.Access;
using Witness.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

/// <summary>Settings › Streams in a real browser, for an Administrator of a tenant of its own.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class StreamsPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task An_administrator_creates_a_stream_sees_it_deliver_tests_pauses_and_deletes_it_and_a_bad_url_is_named()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        const string tenant = "set-streams";
        const string email = "admin@set-streams.example";
        await fixture.AddUserAsync(email, ConsoleRoles.Administrator, tenant, "Sam Streams");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, email, ConsoleFixture.Password);
        using var client = await fixture.Server.ClientForAsync(tenant);

        await page.GotoAsync("/console/settings/retention");
        await ConsoleFixture.FollowAsync(page.GetByRole(AriaRole.Link, new() { Name = "Streams", Exact = true }));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Streams", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("No streams yet")).ToBeVisibleAsync();

        await page.FillAsync("input[name=name]", "SIEM <b>one</b>");
        await page.SelectOptionAsync("select[name=kind]", "syslog");
        await page.FillAsync("input[name=url]", "udp://siem.example.com:514");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create stream" }).ClickAsync();
        await Expect(page.Locator(".field-error")).ToContainTextAsync("Destination (url) must be tcp://host:port or tls://host:port");
        await Expect(page.Locator("input[name=url]")).ToHaveAttributeAsync("aria-invalid", "true");

        await page.SelectOptionAsync("select[name=kind]", "http");
        await page.SelectOptionAsync("select[name=format]", "ocsf");
        await page.FillAsync("input[name=url]", new Uri(receiver.Address, "/siem").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Create stream" }).ClickAsync();
        await Expect(page.Locator("[data-secret]")).ToHaveTextAsync(new Regex("^whsec_"));
        var row = page.Locator("tr[data-stream-id]");
        // The name is text, never markup.
        await Expect(row.Locator("td[data-label=Stream]")).ToContainTextAsync("SIEM <b>one</b>");

        await Some.SendManyAsync(client, tenant, 3);
        await receiver.WaitForAsync(1);
        await Eventually.GetAsync(async () =>
        {
            await page.GotoAsync("/console/settings/streams");
            // The tenant's log also holds the console's own events (the sign-in), so the cursor passes 3.
            var delivered = long.Parse(await row.Locator("[data-delivered-seq]").GetAttributeAsync("data-delivered-seq") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            return delivered >= 3 && await row.Locator("[data-lag-events]").GetAttributeAsync("data-lag-events") == "0" ? "" : null;
        }, "the page to show the stream caught up");
        await Expect(row.Locator("[data-state]")).ToHaveTextAsync("Delivering");
        await Expect(row.Locator("[data-lag-events]")).ToHaveTextAsync("0 events");
        await ConsoleFixture.ScreenshotAsync(page, "settings-streams");

        await row.GetByRole(AriaRole.Button, new() { Name = "Send test event" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Test event delivered.");
        await row.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Stream paused");
        await Expect(row.Locator("[data-state]")).ToHaveTextAsync("Paused");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Resume" })).ToBeVisibleAsync();

        await row.GetByText("Delete…").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, delete stream" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Stream deleted.");
        await Expect(page.Locator("tr[data-stream-id]")).ToHaveCountAsync(0);
        Assert.Empty((await (await client.GetAsync("/v1/streams")).JsonAsync()).GetProperty("streams").EnumerateArray());

        // Each change made in the console is in the tenant's log, by the signed-in administrator.
        foreach (var action in (string[])["stream.create", "stream.pause", "stream.delete"])
        {
            var recorded = (await (await client.GetAsync($"/v1/events?action={action}")).JsonAsync()).GetProperty("events");
            Assert.Equal(1, recorded.GetArrayLength());
            Assert.Equal(email, recorded[0].GetProperty("actor").GetProperty("email").GetString());
        }
    }
}
