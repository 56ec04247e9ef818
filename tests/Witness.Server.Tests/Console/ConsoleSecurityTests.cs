using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Witness.Access;
using Witness.Catalog;
using Witness.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

[Collection(ConsoleCollection.Name)]
public sealed class ConsoleSecurityTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_Member_is_told_they_need_the_permission_and_gets_no_log_data()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, ConsoleFixture.MemberEmail, ConsoleFixture.Password);
        var response = await page.GotoAsync("/console?type=access");
        Assert.Equal(403, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You need the View audit logs permission" })).ToBeVisibleAsync();
        var html = await page.ContentAsync();
        foreach (var data in new[] { "Ada Admin", "Bruno", "inbox", "203.0.113.7", "Signed in", "tr class" })
        {
            Assert.DoesNotContain(data, html, StringComparison.OrdinalIgnoreCase);
        }

        await ConsoleFixture.ScreenshotAsync(page, "member-denied");

        var api = await context.APIRequest.GetAsync("/v1/events");
        Assert.Equal(403, api.Status);
        Assert.Equal("application/problem+json", api.Headers["content-type"]);
        Assert.DoesNotContain("Ada Admin", await api.TextAsync());
    }

    [Fact]
    public async Task Script_payloads_in_every_field_render_as_text_and_never_run()
    {
        const string tenant = "xss";
        var email = "admin@xss.example";
        await fixture.AddUserAsync(email, ConsoleRoles.Administrator, tenant, "Xss Admin");
        fixture.Server.Services.GetRequiredService<ActionCatalog>().Set(tenant,
            new ActionDefinition("inbox.rename", "Inboxes", "activity", CrudOperations.Update, "{{actor.name}} renamed {{target.name}}", "Rename inbox"));
        using (var client = await fixture.Server.ClientForAsync(tenant))
        {
            var templated = Some.Event(tenant, "inbox.rename", e =>
            {
                e["id"] = "evt-templated";
                e["occurred_at"] = "2023-06-22T16:00:00Z";
                e.Remove("category");
                e["actor"]!["name"] = "<script>window.__pwned=1</script>";
                e["targets"]![0]!["name"] = "<img src=x onerror=\"window.__pwned=2\">";
            });
            var written = Some.Event(tenant, "inbox.update", e =>
            {
                e["id"] = "evt-payload";
                e["category"] = "<i onmouseover=\"window.__pwned=3\">Inboxes</i>";
                e["description"] = "<img src=x onerror=\"window.__pwned=4\">Changed';alert(5)//";
                e["actor"]!["name"] = "\"><svg onload=alert(6)>";
                e["actor"]!["role"] = "<b>Owner</b>";
                e["reason"] = "</td><script>alert(7)</script>";
                e["context"]!["user_agent"] = "<script>window.__pwned=8</script>";
                e["context"]!["location"] = new JsonObject { ["city"] = "<marquee>Milan</marquee>", ["country"] = "IT" };
                e["metadata"] = new JsonObject { ["note"] = "</pre><script>window.__pwned=9</script>" };
                e["changes"] = new JsonObject
                {
                    ["before"] = new JsonObject { ["<img src=x onerror=alert(10)>"] = "<script>alert(11)</script>" },
                    ["after"] = new JsonObject { ["name"] = "<iframe src=javascript:alert(12)>" },
                };
            });
            var response = await client.PostAsync(Some.Batch([templated, written]));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
        await ConsoleFixture.SignInAsync(page, email, ConsoleFixture.Password);
        await Expect(page.Locator("tr.row")).ToHaveCountAsync(2);
        await Expect(page.Locator("tr.row").First.Locator("td[data-label=Activity] .activity"))
            .ToHaveTextAsync("<script>window.__pwned=1</script> renamed <img src=x onerror=\"window.__pwned=2\">");
        await Expect(page.Locator("tr.row").First.Locator("a.target-link")).ToHaveTextAsync("<img src=x onerror=\"window.__pwned=2\">");
        await Expect(page.Locator("tr.row").Nth(1).Locator("td[data-label=Activity] .activity")).ToHaveTextAsync("<img src=x onerror=\"window.__pwned=4\">Changed';alert(5)//");
        await page.Locator("tr.row").Nth(1).Locator("td[data-label=Category]").HoverAsync();
        await ConsoleFixture.ScreenshotAsync(page, "payloads-list");

        await ConsoleFixture.FollowAsync(page.Locator("tr.row").Nth(1).Locator("a.row-open"));
        var drawer = page.Locator("aside.drawer");
        await Expect(drawer.Locator("dt:text-is('User agent') + dd")).ToHaveTextAsync("<script>window.__pwned=8</script>");
        await Expect(drawer.Locator("dt:text-is('Reason') + dd")).ToHaveTextAsync("</td><script>alert(7)</script>");
        await Expect(drawer.Locator("pre.json")).ToContainTextAsync("</pre><script>window.__pwned=9</script>");
        await Expect(drawer.Locator(".diff .mark-before")).ToContainTextAsync("<script>alert(11)</script>");
        await Expect(drawer.Locator(".diff .mark-after")).ToContainTextAsync("<iframe src=javascript:alert(12)>");
        await ConsoleFixture.ScreenshotAsync(page, "payloads-details", fullPage: false);

        Assert.Equal(0, await page.Locator("script:not([src]), img, iframe, marquee, svg[onload], i[onmouseover]").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        Assert.Empty(dialogs);
    }

    [Fact]
    public async Task A_platform_administrator_switches_tenants_and_a_tenant_user_cannot()
    {
        await fixture.AddUserAsync("root@platform.example", ConsoleRoles.Administrator, null, "Platform Root");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, "root@platform.example", ConsoleFixture.Password);
        await page.GotoAsync("/console?tenant=" + ConsoleFixture.Tenant);
        await Expect(page.Locator("#tenant-select")).ToHaveValueAsync(ConsoleFixture.Tenant);
        await Expect(page.Locator("tr.row").First).ToContainTextAsync("Renamed inbox Support to Help desk");
        await page.GotoAsync("/console?tenant=nobody-here");
        await Expect(page.Locator(".empty")).ToBeVisibleAsync();
        await page.SelectOptionAsync("#tenant-select", ConsoleFixture.Tenant);
        await ConsoleFixture.ArrivedAtAsync(page, new System.Text.RegularExpressions.Regex(@"/console\?tenant=" + ConsoleFixture.Tenant + "$"));
        await Expect(page.Locator("tr.row").First).ToContainTextAsync("Renamed inbox Support to Help desk");
        await ConsoleFixture.ScreenshotAsync(page, "platform-administrator", fullPage: false);

        await using var tenantContext = await fixture.NewContextAsync(fixture.AdminState);
        var tenantPage = await tenantContext.NewPageAsync();
        var response = await tenantPage.GotoAsync("/console?tenant=nobody-here");
        Assert.Equal(403, response!.Status);
        await Expect(tenantPage.Locator("tr.row")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_console_session_reads_the_api_for_its_own_tenant_only_and_api_keys_behave_as_before()
    {
        await using var context = await fixture.NewContextAsync(fixture.AdminState);
        var own = await context.APIRequest.GetAsync("/v1/events?type=webhook_failure");
        Assert.Equal(200, own.Status);
        var events = JsonNode.Parse(await own.TextAsync())!["events"]!.AsArray();
        Assert.Equal("acme", Assert.Single(events)!["tenant"]!.GetValue<string>());

        var other = await context.APIRequest.GetAsync("/v1/events?tenant=xss");
        Assert.Equal(403, other.Status);
        var write = await context.APIRequest.PostAsync("/v1/events", new() { DataObject = new { action = "inbox.create" } });
        Assert.Equal(401, write.Status);

        using var anonymous = fixture.Server.Client();
        var response = await anonymous.GetAsync("/v1/events");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        using var writer = fixture.Server.Client(await fixture.Server.CreateKeyAsync(ConsoleFixture.Tenant, Scopes.EventsWrite));
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.GetAsync("/v1/events")).StatusCode);
    }
}
