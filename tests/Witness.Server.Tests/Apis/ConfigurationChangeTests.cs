using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Apis;

/// <summary>Issue 15 item 8: every configuration change is an event in the tenant's log, with before and after and without secrets.</summary>
public sealed class ConfigurationChangeTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The tenant's events of <paramref name="action"/>, oldest first, as the API shows them.</summary>
    private static async Task<List<JsonElement>> EventsAsync(HttpClient client, string action)
    {
        var page = await (await client.GetAsync($"/v1/events?action={action}&limit=1000")).JsonAsync();
        return [.. page.GetProperty("events").EnumerateArray().Reverse()];
    }

    private static async Task<string> RawEventsAsync(HttpClient client) => await (await client.GetAsync("/v1/events?limit=1000")).Content.ReadAsStringAsync();

    private static JsonElement Changes(JsonElement e, string side) => e.GetProperty("changes").GetProperty(side);

    [Fact]
    public async Task A_settings_change_is_recorded_with_the_fields_before_and_after_and_an_unchanged_one_is_not()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var patch = new JsonObject { ["retention_days"] = 30, ["time_zone"] = "Europe/Rome", ["strict_mode"] = true };
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsync("/v1/settings", Some.Json(patch))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsync("/v1/settings", Some.Json(patch))).StatusCode);

        var e = Assert.Single(await EventsAsync(client, "settings.update"));
        Assert.Equal(90, Changes(e, "before").GetProperty("retention_days").GetInt32());
        Assert.Equal(30, Changes(e, "after").GetProperty("retention_days").GetInt32());
        Assert.Equal("UTC", Changes(e, "before").GetProperty("time_zone").GetString());
        Assert.Equal("Europe/Rome", Changes(e, "after").GetProperty("time_zone").GetString());
        Assert.False(Changes(e, "before").GetProperty("strict_mode").GetBoolean());
        Assert.True(Changes(e, "after").GetProperty("strict_mode").GetBoolean());
        Assert.Equal("api_key", e.GetProperty("actor").GetProperty("type").GetString());
        Assert.Equal("Changed the audit log settings (retention_days, time_zone, strict_mode)", e.GetProperty("description").GetString());
        Assert.Equal("activity", e.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_legal_hold_keeps_its_own_event_and_is_not_also_a_settings_change()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["legal_hold"] = true }));
        Assert.Single(await EventsAsync(client, "legal_hold.set"));
        Assert.Empty(await EventsAsync(client, "settings.update"));
    }

    [Fact]
    public async Task Adding_changing_and_removing_a_catalog_entry_are_each_recorded()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        JsonObject Entry(string template) => new() { ["category"] = "Inboxes", ["type"] = "activity", ["crud"] = "create", ["template"] = template, ["description"] = "Make inbox" };
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/actions/inbox.make", Some.Json(Entry("Made an inbox")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/v1/actions/inbox.make", Some.Json(Entry("Made inbox {{target.name}}")))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/actions/inbox.make")).StatusCode);

        var created = Assert.Single(await EventsAsync(client, "catalog.create"));
        Assert.False(created.GetProperty("changes").TryGetProperty("before", out _));
        Assert.Equal("Made an inbox", Changes(created, "after").GetProperty("template").GetString());
        Assert.Equal("Added inbox.make to the action catalog", created.GetProperty("description").GetString());

        var updated = Assert.Single(await EventsAsync(client, "catalog.update"));
        Assert.Equal("Made an inbox", Changes(updated, "before").GetProperty("template").GetString());
        Assert.Equal("Made inbox {{target.name}}", Changes(updated, "after").GetProperty("template").GetString());

        var removed = Assert.Single(await EventsAsync(client, "catalog.delete"));
        Assert.Equal("inbox.make", removed.GetProperty("targets")[0].GetProperty("id").GetString());
        Assert.Equal("Made inbox {{target.name}}", Changes(removed, "before").GetProperty("template").GetString());
    }

    [Fact]
    public async Task Creating_replacing_and_deleting_an_alert_rule_are_each_recorded()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync("/v1/alerts/rules", Some.Json(new JsonObject { ["name"] = "Role changes", ["kind"] = "match", ["query"] = "action:role.change" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.JsonAsync()).GetProperty("id").GetString()!;
        var replaced = new JsonObject { ["name"] = "Failed logins", ["kind"] = "threshold", ["query"] = "action:user.login outcome:failure", ["threshold"] = 5, ["window_minutes"] = 10 };
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/v1/alerts/rules/{id}", Some.Json(replaced))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/alerts/rules/{id}")).StatusCode);

        var created = Assert.Single(await EventsAsync(client, "alert_rule.create"));
        Assert.Equal(id, created.GetProperty("targets")[0].GetProperty("id").GetString());
        Assert.Equal("Created alert rule Role changes", created.GetProperty("description").GetString());
        var updated = Assert.Single(await EventsAsync(client, "alert_rule.update"));
        Assert.Equal("match", Changes(updated, "before").GetProperty("kind").GetString());
        Assert.Equal(5, Changes(updated, "after").GetProperty("threshold").GetInt32());
        var deleted = Assert.Single(await EventsAsync(client, "alert_rule.delete"));
        Assert.Equal("Failed logins", Changes(deleted, "before").GetProperty("name").GetString());
        Assert.False(deleted.GetProperty("changes").TryGetProperty("after", out _));
    }

    [Fact]
    public async Task Webhook_changes_are_recorded_and_their_secrets_never_are()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var first = "whsec_" + Convert.ToBase64String("first secret, 32 bytes long....."u8);
        var second = "whsec_" + Convert.ToBase64String("second secret, 32 bytes long...."u8);
        var response = await client.PostAsync("/v1/webhooks", Some.Json(new JsonObject { ["url"] = "https://hooks.example.com/a", ["event_types"] = new JsonArray("alert.fired"), ["secret"] = first }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var id = (await response.JsonAsync()).GetProperty("id").GetString()!;
        var given = await client.PutAsync($"/v1/webhooks/{id}", Some.Json(new JsonObject { ["url"] = "https://hooks.example.com/b", ["event_types"] = new JsonArray("alert.fired"), ["secret"] = second }));
        Assert.Equal(HttpStatusCode.OK, given.StatusCode);
        var kept = await client.PutAsync($"/v1/webhooks/{id}", Some.Json(new JsonObject { ["url"] = "https://hooks.example.com/c", ["event_types"] = new JsonArray("alert.fired") }));
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/webhooks/{id}")).StatusCode);

        Assert.Equal("https://hooks.example.com/a", Changes(Assert.Single(await EventsAsync(client, "webhook.create")), "after").GetProperty("url").GetString());
        var updates = await EventsAsync(client, "webhook.update");
        Assert.Equal(2, updates.Count);
        Assert.True(updates[0].GetProperty("metadata").GetProperty("secret_rotated").GetBoolean());
        Assert.False(updates[1].GetProperty("metadata").GetProperty("secret_rotated").GetBoolean());
        Assert.Equal("https://hooks.example.com/b", Changes(updates[1], "before").GetProperty("url").GetString());
        Assert.Equal("https://hooks.example.com/c", Changes(Assert.Single(await EventsAsync(client, "webhook.delete")), "before").GetProperty("url").GetString());

        var everything = await RawEventsAsync(client);
        var export = await (await client.GetAsync("/v1/events/export?format=ndjson")).Content.ReadAsStringAsync();
        Assert.Contains("webhook.delete", export, StringComparison.Ordinal);
        foreach (var secret in new[] { first, second })
        {
            Assert.DoesNotContain(secret["whsec_".Length..], everything, StringComparison.Ordinal);
            Assert.DoesNotContain(secret["whsec_".Length..], export, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_retention_change_in_the_console_is_recorded_as_made_by_the_signed_in_user()
    {
        var tenant = Some.Tenant();
        var email = $"admin-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        var users = _server.Services.GetRequiredService<IUserStore>();
        Assert.True(await users.TryCreateUserAsync(ConsoleUser.Create(email, password, ConsoleRoles.Administrator, tenant, "Ada Admin", DateTimeOffset.UtcNow), CancellationToken.None));
        using var session = await ConsoleHttpSession.SignInAsync(_server.Address, email, password);
        var saved = await session.PostFormAsync("/console/settings/retention", "/console/settings/retention", new Dictionary<string, string> { ["retention_days"] = "45" });
        Assert.Equal(HttpStatusCode.SeeOther, saved.StatusCode);

        using var client = await _server.ClientForAsync(tenant);
        var e = Assert.Single(await EventsAsync(client, "settings.update"));
        Assert.Equal(email, e.GetProperty("actor").GetProperty("email").GetString());
        Assert.Equal(45, Changes(e, "after").GetProperty("retention_days").GetInt32());
    }
}
