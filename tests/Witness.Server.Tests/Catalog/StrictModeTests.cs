using System.Net;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Catalog;

public sealed class StrictModeTests : IAsyncLifetime
{
    private readonly string _tenant = Some.Tenant();
    private RunningServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        _client = await _server.ClientForAsync(_tenant);
        await _client.PutActionAsync("widget.create", CatalogRequests.Entry("Created widget {{target.name}}"));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private Task<HttpResponseMessage> PatchSettingsAsync(JsonObject body) =>
        _client.PatchAsync("/v1/settings", Some.Json(body));

    /// <summary>The tenant's activity events other than Witness's own records of its configuration changes.</summary>
    private async Task<int> ActivityCountAsync()
    {
        var page = await (await _client.GetAsync("/v1/events?type=activity&limit=1000")).JsonAsync();
        return page.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("category").GetString() != "Audit log");
    }

    [Fact]
    public async Task In_strict_mode_an_unknown_action_rejects_the_whole_batch_naming_it()
    {
        Assert.Equal(HttpStatusCode.OK, (await PatchSettingsAsync(new JsonObject { ["strict_mode"] = true })).StatusCode);

        var batch = await _client.PostAsync(Some.Batch([Some.Event(_tenant, "widget.create"), Some.Event(_tenant, "gizmo.explode"), Some.Event(_tenant, "widget.create")]));
        var single = await _client.PostAsync(Some.Event(_tenant, "gizmo.explode"));

        Assert.Equal(HttpStatusCode.BadRequest, batch.StatusCode);
        Assert.Equal(["events[1].action"], await batch.ProblemFieldsAsync());
        Assert.Contains("gizmo.explode", (await batch.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, single.StatusCode);
        Assert.Equal(["action"], await single.ProblemFieldsAsync());
        Assert.Equal(0, await ActivityCountAsync());
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync(Some.Event(_tenant, "widget.create"))).StatusCode);
    }

    [Fact]
    public async Task With_strict_mode_off_again_an_unknown_action_is_accepted_and_shown_by_its_name()
    {
        await PatchSettingsAsync(new JsonObject { ["strict_mode"] = true });
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.PostAsync(Some.Event(_tenant, "gizmo.explode"))).StatusCode);

        var off = await PatchSettingsAsync(new JsonObject { ["strict_mode"] = false });
        var stored = await _client.SendAndReadAsync(Some.Event(_tenant, "gizmo.explode"));

        Assert.False((await off.JsonAsync()).GetProperty("strict_mode").GetBoolean());
        Assert.Equal("gizmo.explode", stored.GetProperty("action").GetString());
        Assert.Equal(1, await ActivityCountAsync());
    }

    [Fact]
    public async Task Strict_mode_of_one_tenant_does_not_reject_another_tenants_events()
    {
        await PatchSettingsAsync(new JsonObject { ["strict_mode"] = true });
        var other = Some.Tenant();
        using var client = await _server.ClientForAsync(other);

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Event(other, "gizmo.explode"))).StatusCode);
    }

    [Fact]
    public async Task A_time_zone_is_kept_when_it_is_an_IANA_name_and_refused_naming_the_field_otherwise()
    {
        var rome = await PatchSettingsAsync(new JsonObject { ["time_zone"] = "Europe/Rome" });
        var mars = await PatchSettingsAsync(new JsonObject { ["time_zone"] = "Mars/Olympus_Mons" });
        var number = await PatchSettingsAsync(new JsonObject { ["time_zone"] = 2 });

        Assert.Equal(HttpStatusCode.OK, rome.StatusCode);
        Assert.Equal("Europe/Rome", (await rome.JsonAsync()).GetProperty("time_zone").GetString());
        Assert.Equal(["time_zone"], await mars.ProblemFieldsAsync());
        Assert.Equal(["time_zone"], await number.ProblemFieldsAsync());
        var settings = await (await _client.GetAsync("/v1/settings")).JsonAsync();
        Assert.Equal("Europe/Rome", settings.GetProperty("time_zone").GetString());
    }
}
