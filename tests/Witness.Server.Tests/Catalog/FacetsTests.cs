using System.Text.Json;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Catalog;

public sealed class FacetsTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string[] Strings(JsonElement facets, string name) => [.. facets.GetProperty(name).EnumerateArray().Select(v => v.GetString()!)];

    [Fact]
    public async Task Facets_list_what_the_tenants_events_and_catalog_hold_and_nothing_of_another_tenant()
    {
        var (tenant, other) = (Some.Tenant(), Some.Tenant());
        using var client = await _server.ClientForAsync(tenant);
        using var otherClient = await _server.ClientForAsync(other);
        await client.PutActionAsync("widget.create", CatalogRequests.Entry("Created widget {{target.name}}"));
        await client.PostAsync(Some.Batch([
            Some.Event(tenant, "inbox.create"),
            Some.Event(tenant, "user.login", e => { e["category"] = "Sign-ins"; e["type"] = "access"; }),
            Some.Event(tenant, "webhook.failed", e => { e.Remove("category"); e["type"] = "webhook_failure"; }),
        ]));
        await otherClient.PutActionAsync("secret.rotate", CatalogRequests.Entry("Rotated {{target.name}}", category: "Secrets"));
        await otherClient.PostAsync(Some.Event(other, "billing.charge", e => e["category"] = "Billing"));

        var facets = await (await client.GetAsync("/v1/actions/facets")).JsonAsync();

        Assert.Equal(["Audit log", "Inboxes", "Sign-ins", "Widgets"], Strings(facets, "categories"));
        Assert.Equal(["access", "activity", "webhook_failure"], Strings(facets, "types"));
        var actions = facets.GetProperty("actions").EnumerateArray().ToDictionary(a => a.GetProperty("action").GetString()!);
        Assert.Contains("audit_log.export", actions.Keys);
        Assert.DoesNotContain("secret.rotate", actions.Keys);
        Assert.DoesNotContain("billing.charge", actions.Keys);
        Assert.True(actions["widget.create"].GetProperty("in_catalog").GetBoolean());
        Assert.False(actions["widget.create"].GetProperty("in_data").GetBoolean());
        Assert.Equal("Create widget", actions["widget.create"].GetProperty("description").GetString());
        Assert.False(actions["webhook.failed"].GetProperty("in_catalog").GetBoolean());
        Assert.True(actions["webhook.failed"].GetProperty("in_data").GetBoolean());
        Assert.Contains("create", Strings(facets, "crud"));
    }

    [Fact]
    public async Task A_tenant_without_events_gets_the_facets_of_its_catalog()
    {
        using var client = await _server.ClientForAsync(Some.Tenant(), "events:read");

        var facets = await (await client.GetAsync("/v1/actions/facets")).JsonAsync();

        Assert.Equal(["Audit log"], Strings(facets, "categories"));
        Assert.All(facets.GetProperty("actions").EnumerateArray(), a => Assert.False(a.GetProperty("in_data").GetBoolean()));
    }

    [Fact]
    public async Task An_action_whose_category_was_renamed_lists_the_old_and_the_new_category()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PostAsync(Some.Event(tenant, "agent.role.change", e => e["category"] = "Agents"));
        await client.PostAsync(Some.Event(tenant, "agent.role.change", e => e["category"] = "Agent management"));

        var facets = await (await client.GetAsync("/v1/actions/facets")).JsonAsync();

        Assert.Equal(["Agent management", "Agents", "Audit log"], Strings(facets, "categories"));
    }
}
