using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

[Collection(ConsoleCollection.Name)]
public sealed class SignInTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_wrong_password_shows_an_error_and_is_recorded_as_a_failed_sign_in()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console?type=access");
        Assert.Contains("/console/sign-in", page.Url);

        await page.FillAsync("input[name=email]", ConsoleFixture.AuditorEmail);
        await page.FillAsync("input[name=password]", "not the password");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The email or password is not correct.");
        await Expect(page.Locator("input[name=email]")).ToHaveValueAsync(ConsoleFixture.AuditorEmail);
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-wrong-password");

        var failed = await fixture.EventsAsync("type=access&action=console.sign_in_failed");
        var recorded = Assert.Single(failed, e => e!["actor"]!["email"]!.GetValue<string>() == ConsoleFixture.AuditorEmail)!;
        Assert.Equal("failure", recorded["outcome"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", recorded["context"]!["ip"]!.GetValue<string>());
        Assert.Contains("Chrome", recorded["context"]!["user_agent"]!.GetValue<string>());
    }

    [Fact]
    public async Task Signing_in_opens_the_page_asked_for_and_signing_out_ends_the_session_both_recorded()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console?type=access");
        await page.FillAsync("input[name=email]", ConsoleFixture.AuditorEmail);
        await page.FillAsync("input[name=password]", ConsoleFixture.Password);
        await page.ClickAsync("button[type=submit]");
        await ConsoleFixture.ArrivedAtAsync(page, new System.Text.RegularExpressions.Regex("^(?!.*/sign-in)"));
        Assert.EndsWith("/console?type=access", page.Url);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit Logs" })).ToBeVisibleAsync();
        await Expect(page.Locator(".tab.active")).ToHaveTextAsync("Access");

        var cookies = await context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "witness_console");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await ConsoleFixture.ArrivedAtAsync(page, new System.Text.RegularExpressions.Regex(@"/console/sign-in\?signed_out=1$"));
        await Expect(page.GetByText("You have signed out.")).ToBeVisibleAsync();
        await page.GotoAsync("/console");
        Assert.Contains("/console/sign-in", page.Url);

        var signIns = await fixture.EventsAsync("type=access&action=console.sign_in&actor=" + ConsoleFixture.AuditorEmail);
        var signOuts = await fixture.EventsAsync("type=access&action=console.sign_out&actor=" + ConsoleFixture.AuditorEmail);
        Assert.NotEmpty(signIns);
        Assert.Equal("Signed out of the audit console", Assert.Single(signOuts)!["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_sign_in_form_without_its_anti_forgery_token_is_refused()
    {
        using var client = fixture.Server.Client();
        var response = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = ConsoleFixture.AdminEmail,
            ["password"] = ConsoleFixture.Password,
        }));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("witness_console", StringComparison.Ordinal)));
    }
}
