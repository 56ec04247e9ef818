using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Witness.Access;
using Witness.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Witness.Server.Tests.Console;

[Collection(ConsoleCollection.Name)]
public sealed class EmbeddedViewerTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_viewer_token_shows_the_tenants_list_and_details_read_only_inside_a_frame()
    {
        var url = await ViewerUrlAsync(fixture.AdminKey, new JsonObject { ["ttl_seconds"] = 600 });
        Assert.StartsWith(fixture.Server.Address + "embed?token=", url);

        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        // The product's own settings page, served from another origin, frames the viewer.
        await using var product = await ProductPageAsync($"<h1>Acme settings</h1><iframe src='{url}' width='1360' height='760'></iframe>");
        var productAddress = product.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        await page.GotoAsync(productAddress + "/settings");
        var frame = page.FrameLocator("iframe");
        await Expect(frame.Locator("tr.row")).ToHaveCountAsync(25);
        await Expect(frame.Locator("tr.row").First).ToContainTextAsync("Renamed inbox Support to Help desk");
        await Expect(frame.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToHaveCountAsync(0);
        await Expect(frame.Locator("details.menu")).ToHaveCountAsync(0);
        await Expect(frame.Locator("form[method=post]")).ToHaveCountAsync(0);
        await ConsoleFixture.ScreenshotAsync(page, "embedded-viewer");

        await frame.Locator("tr.row").First.Locator("a.row-open").ClickAsync();
        await Expect(frame.Locator("aside.drawer .verified")).ToHaveTextAsync("Verified");
        await Expect(frame.Locator("aside.drawer [data-field=name]")).ToHaveAttributeAsync("data-change", "changed");
        await ConsoleFixture.ScreenshotAsync(page, "embedded-viewer-details");

        var response = await context.APIRequest.GetAsync(url);
        Assert.Equal("frame-ancestors *", response.Headers["content-security-policy"].Split("; ").Last());
        Assert.Equal("no-referrer", response.Headers["referrer-policy"]);
    }

    [Fact]
    public async Task An_expired_viewer_token_shows_no_data()
    {
        var url = await ViewerUrlAsync(fixture.AdminKey, new JsonObject { ["ttl_seconds"] = 60 });
        fixture.Clock.Advance(TimeSpan.FromSeconds(61));

        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(url);
        Assert.Equal(401, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This viewer link has expired" })).ToBeVisibleAsync();
        Assert.DoesNotContain("Ada Admin", await page.ContentAsync());
        await ConsoleFixture.ScreenshotAsync(page, "embedded-viewer-expired");

        var tampered = url.Replace("token=", "token=x", StringComparison.Ordinal);
        await page.GotoAsync(tampered);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This viewer link is not valid" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Viewer_tokens_need_an_admin_key_and_stay_within_its_tenant()
    {
        using var reader = fixture.Server.Client(await fixture.Server.CreateKeyAsync(ConsoleFixture.Tenant, Scopes.EventsRead));
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/v1/viewer-tokens", null)).StatusCode);

        using var admin = fixture.Server.Client(fixture.AdminKey);
        var otherTenant = await admin.PostAsync("/v1/viewer-tokens", Some.Json(new JsonObject { ["tenant"] = "xss" }));
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        var badTtl = await admin.PostAsync("/v1/viewer-tokens", Some.Json(new JsonObject { ["ttl_seconds"] = 0 }));
        Assert.Equal("ttl_seconds", (await badTtl.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());

        using var global = fixture.Server.Client(fixture.GlobalKey);
        var noTenant = await global.PostAsync("/v1/viewer-tokens", Some.Json(new JsonObject()));
        Assert.Equal("tenant", (await noTenant.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
        var forAcme = await global.PostAsync("/v1/viewer-tokens", Some.Json(new JsonObject { ["tenant"] = ConsoleFixture.Tenant }));
        Assert.Equal(HttpStatusCode.Created, forAcme.StatusCode);
        var body = await forAcme.JsonAsync();
        Assert.Equal(ConsoleFixture.Tenant, body.GetProperty("tenant").GetString());
        Assert.Equal(fixture.Clock.GetUtcNow().AddMinutes(15).ToUnixTimeSeconds(), body.GetProperty("expires_at").GetDateTimeOffset().ToUnixTimeSeconds());
    }

    /// <summary>A stand-in for the product's web app on its own loopback port, serving one page.</summary>
    private static async Task<WebApplication> ProductPageAsync(string body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/settings", () => Results.Content($"<!DOCTYPE html><html><body>{body}</body></html>", "text/html"));
        await app.StartAsync();
        return app;
    }

    private async Task<string> ViewerUrlAsync(string key, JsonObject body)
    {
        using var client = fixture.Server.Client(key);
        var response = await client.PostAsync("/v1/viewer-tokens", Some.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("url").GetString()!;
    }
}
