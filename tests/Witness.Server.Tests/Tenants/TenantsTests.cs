using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Events;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Tenants;

public sealed class TenantsTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_global_keys_read_or_export_of_an_unknown_tenant_is_404_and_creates_nothing()
    {
        using var global = _server.Client(await _server.CreateKeyAsync(null, Scopes.EventsRead));
        var typo = Some.Tenant();

        var read = await global.GetAsync($"/v1/events?tenant={typo}");
        var export = await global.GetAsync($"/v1/events/export?tenant={typo}&format=csv");

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal("application/problem+json", read.Content.Headers.ContentType!.MediaType);
        Assert.Contains(typo, (await read.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, export.StatusCode);
        Assert.Null(await _server.Store.GetFrontierAsync(typo, CancellationToken.None));
        Assert.DoesNotContain(typo, await _server.Store.ListTenantsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_cli_export_of_an_unknown_tenant_fails_naming_it_and_creates_nothing()
    {
        var output = Path.Combine(_server.DataDirectory, "nosuch.csv");

        var run = await WitnessProcess.RunAsync(["export", .. _server.StoreArgs(), "--tenant", "nosuch", "--format", "csv", "--out", output]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("no tenant named 'nosuch'", run.Error);
        Assert.False(File.Exists(output));
        Assert.Null(await _server.Store.GetFrontierAsync("nosuch", CancellationToken.None));
    }

    [Fact]
    public async Task Tenants_are_listed_with_their_sizes_to_a_global_admin_key_and_to_the_cli()
    {
        var tenant = Some.Tenant();
        using var bound = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(bound, tenant, 3);
        using var admin = _server.Client(await _server.CreateKeyAsync(null, Scopes.Admin));

        var listed = (await (await admin.GetAsync("/v1/tenants")).JsonAsync()).GetProperty("tenants").EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == tenant);
        var cli = await WitnessProcess.RunAsync(["tenants", "list", .. _server.StoreArgs()]);

        Assert.Equal(3, listed.GetProperty("events").GetInt64());
        Assert.Equal(HttpStatusCode.Forbidden, (await bound.GetAsync("/v1/tenants")).StatusCode);
        using var reader = _server.Client(await _server.CreateKeyAsync(null, Scopes.EventsRead));
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/v1/tenants")).StatusCode);
        Assert.Equal(0, cli.ExitCode);
        Assert.Contains($"{tenant}\t3 events", cli.Output);
    }

    [Fact]
    public async Task Events_sent_to_the_platform_log_are_refused_naming_the_tenant()
    {
        using var writer = _server.Client(await _server.CreateKeyAsync(null, Scopes.EventsWrite));

        var sent = await writer.PostAsync(Some.Event("_platform"));

        Assert.Equal(HttpStatusCode.BadRequest, sent.StatusCode);
        Assert.Equal("tenant", (await sent.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Deleting_a_tenant_through_the_api_needs_the_name_confirmed_removes_everything_and_is_recorded_in_the_platform_log()
    {
        var tenant = Some.Tenant();
        var other = Some.Tenant();
        var boundKey = await _server.CreateKeyAsync(tenant);
        using var bound = _server.Client(boundKey);
        using var otherClient = await _server.ClientForAsync(other);
        await Some.SendManyAsync(bound, tenant, 4);
        await Some.SendManyAsync(otherClient, other, 2);
        Assert.Equal(HttpStatusCode.OK, (await bound.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["retention_days"] = 30 }))).StatusCode);
        await _server.Services.GetRequiredService<IUserStore>().TryCreateUserAsync(
            ConsoleUser.Create($"ada.{Guid.NewGuid():N}@example.com", "a long passphrase", ConsoleRoles.Auditor, tenant, "Ada", DateTimeOffset.UtcNow), CancellationToken.None);
        using var admin = _server.Client(await _server.CreateKeyAsync(null, Scopes.Admin));

        var unconfirmed = await admin.DeleteAsync($"/v1/tenants/{tenant}");
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bound.DeleteAsync($"/v1/tenants/{tenant}?confirm={tenant}")).StatusCode);
        var size = (await _server.Store.GetFrontierAsync(tenant, CancellationToken.None))!.Size;

        var deleted = await admin.DeleteAsync($"/v1/tenants/{tenant}?confirm={tenant}");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var body = await deleted.JsonAsync();
        Assert.Equal((size, 1, 1), (body.GetProperty("events").GetInt64(), body.GetProperty("api_keys").GetInt32(), body.GetProperty("users").GetInt32()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await bound.GetAsync("/v1/events")).StatusCode);
        Assert.Null(await _server.Store.GetFrontierAsync(tenant, CancellationToken.None));
        Assert.Equal(TenantSettings.Default, await _server.Store.GetSettingsAsync(tenant, CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/v1/events?tenant={tenant}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/v1/tenants/{tenant}?confirm={tenant}")).StatusCode);
        Assert.Equal(2, (await _server.Store.GetFrontierAsync(other, CancellationToken.None))!.Size);

        var platform = await (await admin.GetAsync("/v1/events?tenant=_platform&action=tenant.delete")).JsonAsync();
        var record = platform.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("targets")[0].GetProperty("id").GetString() == tenant);
        Assert.Equal("api_key", record.GetProperty("actor").GetProperty("type").GetString());
        Assert.Equal(size, record.GetProperty("metadata").GetProperty("events").GetInt64());
        var verified = await (await admin.GetAsync("/v1/verify?tenant=_platform")).JsonAsync();
        Assert.True(verified.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task The_cli_deletes_a_tenant_only_with_yes_and_records_it_in_the_platform_log()
    {
        var tenant = Some.Tenant();
        using var bound = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(bound, tenant, 3);

        var refused = await WitnessProcess.RunAsync(["tenants", "delete", tenant, .. _server.StoreArgs()]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Error);
        Assert.NotNull(await _server.Store.GetFrontierAsync(tenant, CancellationToken.None));

        var run = await WitnessProcess.RunAsync(["tenants", "delete", tenant, "--yes", .. _server.StoreArgs()]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("3 events, 1 API key", run.Output);
        Assert.Null(await _server.Store.GetFrontierAsync(tenant, CancellationToken.None));
        var platform = new List<AuditEvent>();
        await foreach (var row in _server.Store.ReadLogAsync("_platform", 1, CancellationToken.None))
        {
            platform.Add(CanonicalEvent.Read(row.Body));
        }

        var record = platform.Single(e => e.Targets[0].Id == tenant);
        Assert.Equal(("tenant.delete", "witness-cli"), (record.Action, record.Actor.Id));
        var missing = await WitnessProcess.RunAsync(["tenants", "delete", tenant, "--yes", .. _server.StoreArgs()]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no tenant named", missing.Error);
    }
}
