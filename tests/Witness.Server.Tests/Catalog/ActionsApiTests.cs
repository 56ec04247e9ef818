using System.Net;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Catalog;

public sealed class ActionsApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_tenants_entry_is_listed_replaced_and_removed_and_never_seen_by_another_tenant()
    {
        var (a, b) = (Some.Tenant(), Some.Tenant());
        using var adminA = await _server.ClientForAsync(a, "admin");
        using var adminB = await _server.ClientForAsync(b, "admin");

        var created = await adminA.PutActionAsync("widget.create", CatalogRequests.Entry("Created widget {{target.name}}"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("tenant", (await created.JsonAsync()).GetProperty("layer").GetString());
        var replaced = await adminA.PutActionAsync("widget.create", CatalogRequests.Entry("Made widget {{target.name}}"));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);

        var seenByA = await adminA.ListActionsAsync();
        Assert.Equal("Made widget {{target.name}}", seenByA["widget.create"].GetProperty("template").GetString());
        Assert.Equal("tenant", seenByA["widget.create"].GetProperty("layer").GetString());
        Assert.Equal("global", seenByA["audit_log.export"].GetProperty("layer").GetString());
        Assert.Equal(["widget.create"], (await adminA.ListActionsAsync("?layer=tenant")).Keys);
        Assert.DoesNotContain("widget.create", (await adminB.ListActionsAsync()).Keys);

        Assert.Equal(HttpStatusCode.Forbidden, (await adminB.GetAsync($"/v1/actions?tenant={a}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await adminB.PutActionAsync("widget.create", CatalogRequests.Entry("Hijacked"), tenant: a)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await adminB.DeleteAsync($"/v1/actions/widget.create?tenant={a}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.DeleteAsync("/v1/actions/widget.create")).StatusCode);
        Assert.Equal("Made widget {{target.name}}", (await adminA.ListActionsAsync())["widget.create"].GetProperty("template").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await adminA.DeleteAsync("/v1/actions/widget.create")).StatusCode);
        Assert.DoesNotContain("widget.create", (await adminA.ListActionsAsync()).Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await adminA.DeleteAsync("/v1/actions/widget.create")).StatusCode);
    }

    [Fact]
    public async Task A_global_entry_is_seen_by_every_tenant_until_one_overrides_it()
    {
        var (a, b) = (Some.Tenant(), Some.Tenant());
        var action = $"gadget{Guid.NewGuid():N}"[..16] + ".create";
        using var global = _server.Client(await _server.CreateKeyAsync(null, "admin"));
        using var adminA = await _server.ClientForAsync(a, "admin");
        using var readerB = await _server.ClientForAsync(b, "events:read");

        Assert.Equal(HttpStatusCode.Created, (await global.PutActionAsync(action, CatalogRequests.Entry("Created gadget (#{{target.id}})"))).StatusCode);
        Assert.Equal("global", (await readerB.ListActionsAsync())[action].GetProperty("layer").GetString());
        Assert.Contains(action, (await global.ListActionsAsync("?layer=global")).Keys);

        await adminA.PutActionAsync(action, CatalogRequests.Entry("Built gadget (#{{target.id}})"));
        Assert.Equal("Built gadget (#{{target.id}})", (await adminA.ListActionsAsync())[action].GetProperty("template").GetString());
        Assert.Equal("Created gadget (#{{target.id}})", (await readerB.ListActionsAsync())[action].GetProperty("template").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await global.DeleteAsync($"/v1/actions/{action}?tenant={a}")).StatusCode);
        Assert.Equal("Created gadget (#{{target.id}})", (await adminA.ListActionsAsync())[action].GetProperty("template").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await global.DeleteAsync($"/v1/actions/{action}")).StatusCode);
        Assert.DoesNotContain(action, (await readerB.ListActionsAsync()).Keys);
    }

    [Fact]
    public async Task An_invalid_entry_is_rejected_naming_each_field_and_nothing_is_stored()
    {
        var tenant = Some.Tenant();
        using var admin = await _server.ClientForAsync(tenant, "admin");
        var body = CatalogRequests.Entry("Created {{target.nme}}", type: "activities");
        body.Remove("description");
        body["colour"] = "red";

        var response = await admin.PutActionAsync("widget.create", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["colour", "type", "description", "template"], await response.ProblemFieldsAsync());
        Assert.DoesNotContain("widget.create", (await admin.ListActionsAsync()).Keys);
        var badName = await admin.PutActionAsync("Widget.Create", CatalogRequests.Entry("Created a widget"));
        Assert.Equal(["action"], await badName.ProblemFieldsAsync());
        var notJson = await admin.PutAsync("/v1/actions/widget.create", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(["body"], await notJson.ProblemFieldsAsync());
    }

    [Fact]
    public async Task Writing_the_catalog_needs_the_admin_scope()
    {
        using var writer = await _server.ClientForAsync(Some.Tenant(), "events:read", "events:write");

        Assert.Equal(HttpStatusCode.Forbidden, (await writer.PutActionAsync("widget.create", CatalogRequests.Entry("Created a widget"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.DeleteAsync("/v1/actions/audit_log.view")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await writer.GetAsync("/v1/actions")).StatusCode);
    }

    [Fact]
    public async Task Deleting_an_entry_leaves_the_events_that_used_it()
    {
        var tenant = Some.Tenant();
        using var admin = await _server.ClientForAsync(tenant);
        await admin.PutActionAsync("widget.create", CatalogRequests.Entry("Created widget {{target.name}}"));
        var stored = await admin.SendAndReadAsync(Some.Event(tenant, "widget.create", e => { e.Remove("category"); e["id"] = "w-1"; }));
        Assert.Equal("Created widget Support", stored.GetProperty("description").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/actions/widget.create")).StatusCode);

        var after = await (await admin.GetAsync("/v1/events/w-1")).JsonAsync();
        Assert.Equal("Created widget Support", after.GetProperty("description").GetString());
        Assert.Equal("Widgets", after.GetProperty("category").GetString());
    }

    [Fact]
    public async Task Built_in_actions_cannot_be_removed_but_a_global_override_of_one_can()
    {
        using var global = _server.Client(await _server.CreateKeyAsync(null, "admin"));
        using var reader = await _server.ClientForAsync(Some.Tenant(), "events:read");

        Assert.Equal(HttpStatusCode.NotFound, (await global.DeleteAsync("/v1/actions/audit_log.view")).StatusCode);
        Assert.Contains("audit_log.view", (await reader.ListActionsAsync()).Keys);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_catalog_endpoints()
    {
        using var anonymous = _server.Client();
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = document.GetProperty("paths");

        var put = paths.GetProperty("/v1/actions/{action}").GetProperty("put");
        Assert.Contains("catalog entry", put.GetProperty("summary").GetString());
        Assert.True(put.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(put.GetProperty("responses").GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(paths.GetProperty("/v1/actions/{action}").GetProperty("delete").GetProperty("responses").TryGetProperty("404", out _));
        var list = paths.GetProperty("/v1/actions").GetProperty("get");
        Assert.Contains(list.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "layer");
        Assert.True(paths.GetProperty("/v1/actions/facets").GetProperty("get").GetProperty("responses").TryGetProperty("200", out _));
    }
}
