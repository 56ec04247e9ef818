using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Witness.Access;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

/// <summary>"Erase this person's personal data" on an event's details (docs/erasure.md), in a real Chromium.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ErasingFromTheConsoleTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task An_administrator_erases_a_person_from_an_events_details_after_confirming_and_the_erasure_is_recorded_as_them()
    {
        // Its own tenant, so the shared tenant's events stay as the other console tests expect them.
        var tenant = "erase-" + Guid.NewGuid().ToString("N")[..8];
        using var api = fixture.Server.Client(fixture.GlobalKey);
        JsonObject Subject(string id) => Some.Event(change: e =>
        {
            e["id"] = id;
            e["tenant"] = tenant;
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_zoe", ["name"] = "Zoe <b>Quixby</b>", ["email"] = "zoe.quixby@example.com" };
            e["context"] = new JsonObject { ["ip"] = "198.51.100.23" };
        });
        var sent = await api.PostAsync(Some.Batch([Subject("evt-zoe-1"), Subject("evt-zoe-2"), Some.Event(change: e => e["tenant"] = tenant)]));
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);

        var email = $"pat-{tenant}@platform.example";
        await fixture.AddUserAsync(email, ConsoleRoles.Administrator, null, "Pat Platform");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, email, ConsoleFixture.Password);
        await page.GotoAsync($"/console?tenant={tenant}&event=evt-zoe-1");
        var drawer = page.Locator("aside.drawer");
        await Expect(drawer.Locator("dt:text-is('Email') + dd")).ToContainTextAsync("zoe.quixby@example.com");

        // One click only opens the question; the form it holds posts with the anti-forgery token.
        await drawer.GetByText("Erase this person's personal data").ClickAsync();
        var confirm = drawer.GetByRole(AriaRole.Button, new() { Name = "Erase personal data" });
        await Expect(confirm).ToBeVisibleAsync();
        await Expect(drawer.Locator(".confirm-box")).ToContainTextAsync("every event of u_zoe");
        Assert.Equal(1, await drawer.Locator(".confirm-box form input[name=__RequestVerificationToken]").CountAsync());
        await ConsoleFixture.ScreenshotAsync(page, "event-details-erase-confirm", fullPage: false);
        await confirm.ClickAsync();
        await ConsoleFixture.ArrivedAtAsync(page, new Regex("/console/settings/erase"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Personal data erased");
        await Expect(page.Locator("main")).ToContainTextAsync("2 events now read [erased]");

        var erased = await api.GetFromJsonAsync<JsonObject>($"/v1/events/evt-zoe-2?tenant={tenant}");
        Assert.Equal("[erased]", erased!["actor"]!["email"]!.GetValue<string>());
        Assert.Equal("[erased]", erased["actor"]!["name"]!.GetValue<string>());
        Assert.Equal("[erased]", erased["context"]!["ip"]!.GetValue<string>());
        var record = Assert.Single((await api.GetFromJsonAsync<JsonObject>($"/v1/events?tenant={tenant}&action=privacy.erase"))!["events"]!.AsArray())!;
        Assert.Equal(email, record["actor"]!["email"]!.GetValue<string>());
        Assert.Equal("actor_id", record["metadata"]!["subject"]!.GetValue<string>());
        Assert.Equal(2, record["metadata"]!["events"]!.GetValue<long>());

        // The details now show the erased values and the log still verifies.
        await page.GotoAsync($"/console?tenant={tenant}&event=evt-zoe-1");
        await Expect(drawer.Locator("dt:text-is('Email') + dd")).ToContainTextAsync("[erased]");
        await Expect(drawer.Locator(".verified")).ToHaveTextAsync("Verified");
        var verify = await api.GetFromJsonAsync<JsonObject>($"/v1/verify?tenant={tenant}");
        Assert.True(verify!["ok"]!.GetValue<bool>(), verify.ToJsonString());
    }

    [Fact]
    public async Task The_erase_button_is_offered_to_administrators_only_and_a_post_without_the_token_erases_nothing()
    {
        // The shared Administrator sees it on the shared tenant's events (without pressing it).
        await using (var admin = await fixture.NewContextAsync(fixture.AdminState))
        {
            var page = await admin.NewPageAsync();
            await page.GotoAsync("/console?q=action:inbox.update&event=evt-inbox-update");
            await Expect(page.Locator("aside.drawer").GetByText("Erase this person's personal data")).ToBeVisibleAsync();

            // A form posted without the anti-forgery token (from another site) erases nothing.
            var response = await page.APIRequest.PostAsync("/console/settings/erase?actor_id=u_17", new() { MaxRedirects = 0 });
            Assert.Equal(400, response.Status);
            Assert.Contains("This form has expired", await response.TextAsync(), StringComparison.Ordinal);
        }

        await using var auditor = await fixture.NewContextAsync();
        var auditorPage = await auditor.NewPageAsync();
        await ConsoleFixture.SignInAsync(auditorPage, ConsoleFixture.AuditorEmail, ConsoleFixture.Password);
        await auditorPage.GotoAsync("/console?q=action:inbox.update&event=evt-inbox-update");
        await Expect(auditorPage.Locator("aside.drawer h2")).ToHaveTextAsync("inbox.update");
        await Expect(auditorPage.Locator("aside.drawer").GetByText("Erase this person's personal data")).ToHaveCountAsync(0);
    }
}
