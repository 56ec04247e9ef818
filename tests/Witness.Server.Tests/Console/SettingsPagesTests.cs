using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Witness.Access;
using Witness.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

/// <summary>The Administrators' settings pages; each test works in a tenant of its own so that no change leaks into another test.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SettingsPagesTests(ConsoleFixture fixture)
{
    /// <summary>A browser page signed in as a new Administrator of a new tenant.</summary>
    private async Task<(IBrowserContext Context, IPage Page, string Tenant)> AdministratorAsync(string name)
    {
        var tenant = $"set-{name}";
        var email = $"admin@{tenant}.example";
        await fixture.AddUserAsync(email, ConsoleRoles.Administrator, tenant, "Sam Settings");
        var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        page.Dialog += (_, dialog) => Assert.Fail($"A dialog opened: {dialog.Message}");
        await ConsoleFixture.SignInAsync(page, email, ConsoleFixture.Password);
        return (context, page, tenant);
    }

    [Fact]
    public async Task An_administrator_changes_retention_and_a_bad_value_is_refused_naming_the_field()
    {
        var (context, page, tenant) = await AdministratorAsync("retention");
        await using var _ = context;
        await page.GotoAsync("/console");
        await ConsoleFixture.FollowAsync(page.GetByRole(AriaRole.Link, new() { Name = "Settings", Exact = true }));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Retention & legal hold", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-setting=retention_days]")).ToHaveTextAsync("90 days");
        await Expect(page.Locator("[data-setting=time_zone]")).ToHaveTextAsync("UTC");

        await page.FillAsync("input[name=retention_days]", "4000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save retention" }).ClickAsync();
        var error = page.Locator(".field-error");
        await Expect(error).ToContainTextAsync("Retention period in days (retention_days) must be a whole number of days from 1 to 3650");
        await Expect(page.Locator("input[name=retention_days]")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("input[name=retention_days]")).ToHaveValueAsync("4000");
        await Expect(page.Locator("[data-setting=retention_days]")).ToHaveTextAsync("90 days");
        await ConsoleFixture.ScreenshotAsync(page, "settings-retention-error");

        await page.FillAsync("input[name=retention_days]", "30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save retention" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Retention saved.");
        await Expect(page.Locator("[data-setting=retention_days]")).ToHaveTextAsync("30 days");
        await Expect(page.Locator(".field-error")).ToHaveCountAsync(0);

        using var client = await fixture.Server.ClientForAsync(tenant);
        var settings = await (await client.GetAsync("/v1/settings")).JsonAsync();
        Assert.Equal(30, settings.GetProperty("retention_days").GetInt32());
    }

    [Fact]
    public async Task Placing_a_legal_hold_asks_for_confirmation_and_is_recorded_in_the_log()
    {
        var (context, page, tenant) = await AdministratorAsync("hold");
        await using var _ = context;
        await page.GotoAsync("/console/settings/retention");
        await Expect(page.Locator("[data-setting=legal_hold]")).ToHaveTextAsync("Off");

        await page.GetByText("Place legal hold…").ClickAsync();
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Yes, place legal hold" });
        await Expect(confirm).ToBeVisibleAsync();
        await ConsoleFixture.ScreenshotAsync(page, "settings-legal-hold-confirm");
        await confirm.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Legal hold placed");
        await Expect(page.Locator("[data-setting=legal_hold]")).ToHaveTextAsync("On — nothing is purged");

        using var client = await fixture.Server.ClientForAsync(tenant);
        var events = (await (await client.GetAsync("/v1/events?action=legal_hold.set")).JsonAsync()).GetProperty("events");
        Assert.Equal(1, events.GetArrayLength());
        Assert.Equal("admin@set-hold.example", events[0].GetProperty("actor").GetProperty("email").GetString());

        await page.GetByText("Release legal hold…").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, release legal hold" }).ClickAsync();
        await Expect(page.Locator("[data-setting=legal_hold]")).ToHaveTextAsync("Off");
        var released = (await (await client.GetAsync("/v1/events?action=legal_hold.release")).JsonAsync()).GetProperty("events");
        Assert.Equal(1, released.GetArrayLength());
    }

    [Fact]
    public async Task A_match_rule_created_in_the_console_is_listed_and_a_wrong_field_is_named()
    {
        var (context, page, _) = await AdministratorAsync("rules");
        await using var __ = context;
        await page.GotoAsync("/console/settings/alert-rules");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No alert rules yet" })).ToBeVisibleAsync();

        await page.FillAsync("input[name=name]", "Too many failures");
        await page.SelectOptionAsync("select[name=kind]", "threshold");
        await page.FillAsync("input[name=threshold]", "1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create rule" }).ClickAsync();
        await Expect(page.Locator(".field-error")).ToHaveTextAsync("Threshold (threshold) must be a whole number from 2 to 100000.");
        await Expect(page.Locator("input[name=name]")).ToHaveValueAsync("Too many failures");
        await ConsoleFixture.ScreenshotAsync(page, "settings-alert-rule-error");

        await page.FillAsync("input[name=name]", "Secret deleted");
        await page.SelectOptionAsync("select[name=kind]", "match");
        await page.FillAsync("input[name=query]", "action:secret.delete");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create rule" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Alert rule created");
        var row = page.Locator("tr[data-rule-id]");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.Locator("td[data-label=Name]")).ToHaveTextAsync("Secret deleted");
        await Expect(row.Locator("td[data-label=Kind]")).ToHaveTextAsync("Match");
        await Expect(row.Locator("td[data-label=Query]")).ToHaveTextAsync("action:secret.delete");
        await Expect(row.Locator("td[data-label=Enabled]")).ToHaveTextAsync("Enabled");
        await ConsoleFixture.ScreenshotAsync(page, "settings-alert-rules");

        await row.GetByText("Delete…").ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Yes, delete rule" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Alert rule deleted.");
        await Expect(page.Locator("tr[data-rule-id]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_new_webhook_shows_its_secret_once_and_its_deliveries_can_be_redelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (context, page, tenant) = await AdministratorAsync("hooks");
        await using var _ = context;
        using var client = await fixture.Server.ClientForAsync(tenant);
        var rule = await client.PostAsync("/v1/alerts/rules", Some.Json(new JsonObject { ["name"] = "Secret deleted", ["kind"] = "match", ["query"] = "action:secret.delete" }));
        Assert.Equal(HttpStatusCode.Created, rule.StatusCode);

        await page.GotoAsync("/console/settings/webhooks");
        await page.FillAsync("input[name=url]", "not a url");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        await Expect(page.Locator(".field-error")).ToContainTextAsync("Endpoint URL (url) must be an absolute http or https URL");

        var url = new Uri(receiver.Address, "/hooks/witness").ToString();
        await page.FillAsync("input[name=url]", url);
        await page.FillAsync("input[name=description]", "Security team");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        var secret = page.Locator("[data-secret]");
        await Expect(secret).ToHaveTextAsync(new Regex("^whsec_"));
        await ConsoleFixture.ScreenshotAsync(page, "settings-webhook-secret");
        var shown = await secret.TextContentAsync();
        var row = page.Locator("tr[data-webhook-id]");
        await Expect(row.Locator("td[data-label=Endpoint]")).ToContainTextAsync(url);
        await Expect(row.Locator("td[data-label='Event types']")).ToHaveTextAsync("alert.fired");

        await page.GotoAsync("/console/settings/webhooks");
        await Expect(page.Locator("[data-secret]")).ToHaveCountAsync(0);
        Assert.DoesNotContain(shown!, await page.ContentAsync());

        await client.PostAsync(Some.Event(tenant, "secret.delete"));
        await receiver.WaitForAsync(1);
        var webhookId = await page.Locator("tr[data-webhook-id]").GetAttributeAsync("data-webhook-id");
        await Eventually.GetAsync(async () =>
        {
            var list = await (await client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync();
            return list.GetProperty("deliveries").EnumerateArray().Any(d => d.GetProperty("status").GetString() == "succeeded") ? "done" : null;
        }, "the delivery to finish");
        await ConsoleFixture.FollowAsync(page.Locator("tr[data-webhook-id]").GetByRole(AriaRole.Link, new() { Name = "Deliveries" }));
        var deliveries = page.Locator("tr.delivery");
        await Expect(deliveries).ToHaveCountAsync(1);
        await Expect(deliveries.Locator("td[data-label=Status]")).ToHaveTextAsync("Delivered");
        await Expect(deliveries.Locator("td[data-label=Attempts]")).ToHaveTextAsync("1");
        await Expect(deliveries.Locator("td[data-label='Last answer']")).ToContainTextAsync("HTTP 204");
        await Expect(deliveries.Locator("td[data-label=Message]")).ToContainTextAsync("alert.fired");
        await ConsoleFixture.ScreenshotAsync(page, "settings-webhook-deliveries");

        await deliveries.GetByRole(AriaRole.Button, new() { Name = "Redeliver" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("queued again");
        await receiver.WaitForAsync(2);
        Assert.Equal(receiver.Requests[0].Headers["webhook-id"], receiver.Requests[1].Headers["webhook-id"]);
        await Expect(page.Locator("tr.delivery")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task Auditors_and_members_are_denied_the_settings_pages_and_see_no_settings()
    {
        // Straight into the store: through the API it would add a webhook.create event to the shared
        // tenant's log, whose exact rows the audit log page's tests check.
        await fixture.Server.Services.GetRequiredService<Witness.Storage.IWebhookStore>().SaveWebhookAsync(
            new Witness.Webhooks.Webhook
            {
                Id = "wh_private",
                Tenant = ConsoleFixture.Tenant,
                Url = "https://hooks.acme.example/private",
                Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                EventTypes = ["alert.fired"],
                CreatedAt = fixture.Clock.GetUtcNow(),
                UpdatedAt = fixture.Clock.GetUtcNow(),
            },
            CancellationToken.None);

        foreach (var (email, role) in new[] { (ConsoleFixture.AuditorEmail, "Auditor"), (ConsoleFixture.MemberEmail, "Member") })
        {
            await using var context = await fixture.NewContextAsync();
            var page = await context.NewPageAsync();
            await ConsoleFixture.SignInAsync(page, email, ConsoleFixture.Password);
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Settings", Exact = true })).ToHaveCountAsync(0);
            foreach (var path in new[] { "/console/settings/retention", "/console/settings/alert-rules", "/console/settings/webhooks" })
            {
                var response = await page.GotoAsync(path);
                Assert.Equal(403, response!.Status);
                await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You need the Manage settings permission" })).ToBeVisibleAsync();
                var html = await page.ContentAsync();
                Assert.Contains($"Your role, {role},", html);
                Assert.DoesNotContain("hooks.acme.example", html);
                Assert.DoesNotContain("<form method=\"post\" action=\"/console/settings", html);
            }

            if (role == "Auditor")
            {
                await ConsoleFixture.ScreenshotAsync(page, "settings-auditor-denied");
            }

            var post = await context.APIRequest.PostAsync("/console/settings/legal-hold?hold=on");
            Assert.Equal(403, post.Status);
        }

        using var reader = await fixture.Server.ClientForAsync(ConsoleFixture.Tenant);
        var settings = await (await reader.GetAsync("/v1/settings")).JsonAsync();
        Assert.False(settings.GetProperty("legal_hold").GetBoolean());
    }

    [Fact]
    public async Task A_rule_name_and_webhook_with_script_payloads_render_as_text()
    {
        const string payload = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
        var (context, page, tenant) = await AdministratorAsync("xss");
        await using var _ = context;
        using var client = await fixture.Server.ClientForAsync(tenant);
        var rule = await client.PostAsync("/v1/alerts/rules", Some.Json(new JsonObject { ["name"] = payload, ["kind"] = "match", ["query"] = "\"</code><script>\"" }));
        Assert.Equal(HttpStatusCode.Created, rule.StatusCode);

        await page.GotoAsync("/console/settings/alert-rules");
        await Expect(page.Locator("tr[data-rule-id] td[data-label=Name]")).ToHaveTextAsync(payload);
        await Expect(page.Locator("tr[data-rule-id] td[data-label=Query]")).ToHaveTextAsync("\"</code><script>\"");

        await page.GotoAsync("/console/settings/webhooks");
        await page.FillAsync("input[name=url]", "https://hooks.example.com/a\"><script>window.__pwned=3</script>");
        await page.FillAsync("input[name=description]", payload);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create webhook" }).ClickAsync();
        var row = page.Locator("tr[data-webhook-id]");
        await Expect(row.Locator(".sub")).ToHaveTextAsync(payload);
        await Expect(row.Locator(".endpoint-url")).ToContainTextAsync("https://hooks.example.com/a");
        await ConsoleFixture.ScreenshotAsync(page, "settings-script-payloads");

        Assert.Equal(1, await page.Locator("script").CountAsync());
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
    }
}
