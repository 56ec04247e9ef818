using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Cli;
using Witness.Events;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Console;

/// <summary>
/// Issue 15 item 8 for access: API keys and console users created, revoked, removed, given a role or
/// a password, through the CLI or the console, are events in the tenant's log (or, for global keys,
/// platform administrators and the global catalog, the _platform log) with actor and before/after,
/// and never the secret or the password.
/// </summary>
public sealed class AccessChangeTests
{
    private const string Password = "correct horse battery";
    private const string NewPassword = "a brand new passphrase";

    [Fact]
    public async Task Keys_and_users_changed_through_the_cli_are_recorded_in_the_tenants_log_and_global_ones_in_the_platform_log()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        string[] store = server.StoreArgs();

        var created = await WitnessProcess.RunAsync(["keys", "create", "--tenant", tenant, "--scopes", "events:read", "--name", "reporting", .. store]);
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = created.Output.Trim().Split('\n')[^1];
        Assert.True(ApiKeys.TryParse(key, out var keyId, out var secret));
        Assert.Equal(0, await CliAsync(["keys", "revoke", keyId!, .. store]));
        Assert.Equal(0, await CliAsync(["keys", "create", "--scopes", "admin", "--name", "operations", .. store]));
        Assert.Equal(0, await CliAsync(["users", "add", "ada@acme.example", "--password", Password, "--role", "Auditor", "--tenant", tenant, "--name", "Ada", .. store]));
        Assert.Equal(0, await CliAsync(["users", "set-role", "ada@acme.example", "--role", "Member", .. store]));
        Assert.Equal(0, await CliAsync(["users", "set-role", "ada@acme.example", "--role", "Member", .. store]));
        Assert.Equal(0, await CliAsync(["users", "set-password", "ada@acme.example", "--password", NewPassword, .. store]));
        Assert.Equal(0, await CliAsync(["users", "remove", "ada@acme.example", .. store]));
        Assert.Equal(0, await CliAsync(["users", "add", "root@example.com", "--password", Password, "--role", "Administrator", "--platform", .. store]));
        Assert.Equal(2, await CliAsync(["users", "set-password", "root@example.com", "--password", "short", .. store]));

        var (events, raw) = await LogAsync(server, tenant);
        Assert.Equal(
            ["api_key.create", "api_key.revoke", "console_user.create", "console_user.update", "console_user.update", "console_user.delete"],
            events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal(("service", "witness-cli"), (e.Actor.Type, e.Actor.Id)));
        Assert.All(events, e => Assert.Equal("Audit log", e.Category));

        var keyCreated = events[0];
        Assert.Equal(("api_key", keyId, "reporting"), (keyCreated.Targets[0].Type, keyCreated.Targets[0].Id, keyCreated.Targets[0].Name));
        Assert.Null(keyCreated.Changes!.Before);
        Assert.Equal(tenant, keyCreated.Changes.After!.Value.GetProperty("tenant").GetString());
        Assert.Equal("events:read", keyCreated.Changes.After.Value.GetProperty("scopes")[0].GetString());
        Assert.Equal("Created API key reporting", keyCreated.Description);

        var keyRevoked = events[1];
        Assert.Equal(JsonValueKind.Null, keyRevoked.Changes!.Before!.Value.GetProperty("revoked_at").ValueKind);
        Assert.EndsWith("Z", keyRevoked.Changes.After!.Value.GetProperty("revoked_at").GetString());

        var userAdded = events[2];
        Assert.Equal(("console_user", "ada@acme.example"), (userAdded.Targets[0].Type, userAdded.Targets[0].Name));
        Assert.Equal(("Auditor", tenant, "Ada"), (
            userAdded.Changes!.After!.Value.GetProperty("role").GetString(), userAdded.Changes.After.Value.GetProperty("tenant").GetString(),
            userAdded.Changes.After.Value.GetProperty("name").GetString()));

        var roleSet = events[3];
        Assert.Equal("Auditor", roleSet.Changes!.Before!.Value.GetProperty("role").GetString());
        Assert.Equal("Member", roleSet.Changes.After!.Value.GetProperty("role").GetString());
        Assert.False(roleSet.Metadata!.Value.GetProperty("password_changed").GetBoolean());
        Assert.Equal("Changed console user ada@acme.example (role)", roleSet.Description);

        var passwordSet = events[4];
        Assert.True(passwordSet.Metadata!.Value.GetProperty("password_changed").GetBoolean());
        Assert.Null(passwordSet.Changes);
        Assert.Equal("Member", events[5].Changes!.Before!.Value.GetProperty("role").GetString());
        Assert.Null(events[5].Changes!.After);

        foreach (var secretText in new[] { secret!, Password, NewPassword })
        {
            Assert.DoesNotContain(secretText, raw);
        }

        var (platform, platformRaw) = await LogAsync(server, "_platform");
        var globalKey = Assert.Single(platform, e => e.Action == "api_key.create");
        Assert.Equal(JsonValueKind.Null, globalKey.Changes!.After!.Value.GetProperty("tenant").ValueKind);
        Assert.Equal("operations", globalKey.Targets[0].Name);
        var administrator = Assert.Single(platform, e => e.Action == "console_user.create");
        Assert.Equal("root@example.com", administrator.Targets[0].Name);
        Assert.DoesNotContain(platform, e => e.Action == "console_user.update");
        Assert.DoesNotContain(Password, platformRaw);
    }

    [Fact]
    public async Task Keys_revoked_and_users_changed_in_the_console_are_recorded_with_the_administrator_as_actor()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        var users = server.Services.GetRequiredService<IUserStore>();
        var ada = ConsoleUser.Create("ada@acme.example", Password, ConsoleRoles.Administrator, tenant, "Ada", DateTimeOffset.UtcNow);
        var grace = ConsoleUser.Create("grace@acme.example", Password, ConsoleRoles.Auditor, tenant, null, DateTimeOffset.UtcNow);
        Assert.True(await users.TryCreateUserAsync(ada, CancellationToken.None));
        Assert.True(await users.TryCreateUserAsync(grace, CancellationToken.None));
        var key = await server.CreateKeyAsync(tenant);
        Assert.True(ApiKeys.TryParse(key, out var keyId, out _));

        using var session = new ConsoleHttpSession(server.Address);
        Assert.Equal(HttpStatusCode.SeeOther, (await session.SignInAsync("ada@acme.example", Password)).StatusCode);
        const string page = "/console/settings/access";
        Assert.Equal(HttpStatusCode.SeeOther, (await session.PostFormAsync(page, $"{page}/keys/{keyId}/revoke")).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await session.PostFormAsync(page, $"{page}/users/{grace.Id}/role", new Dictionary<string, string> { ["role"] = "Member" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await session.PostFormAsync(page, $"{page}/users/{grace.Id}/password", new Dictionary<string, string> { ["password"] = "short" })).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await session.PostFormAsync(page, $"{page}/users/{grace.Id}/password", new Dictionary<string, string> { ["password"] = NewPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await session.PostFormAsync(page, $"{page}/users/{grace.Id}/remove")).StatusCode);

        var (events, raw) = await LogAsync(server, tenant);
        var changes = events.Where(e => e.Action.StartsWith("api_key.", StringComparison.Ordinal) || e.Action.StartsWith("console_user.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["api_key.revoke", "console_user.update", "console_user.update", "console_user.delete"], changes.Select(e => e.Action));
        Assert.All(changes, e => Assert.Equal(("user", ada.Id, "ada@acme.example"), (e.Actor.Type, e.Actor.Id, e.Actor.Email)));
        Assert.All(changes, e => Assert.Equal("127.0.0.1", e.Context?.Ip));
        Assert.Equal(keyId, changes[0].Targets[0].Id);
        Assert.Equal("Member", changes[1].Changes!.After!.Value.GetProperty("role").GetString());
        Assert.True(changes[2].Metadata!.Value.GetProperty("password_changed").GetBoolean());
        Assert.Equal(grace.Id, changes[3].Targets[0].Id);
        Assert.DoesNotContain(NewPassword, raw);
    }

    [Fact]
    public async Task A_change_to_the_global_catalog_is_recorded_in_the_platform_log_with_before_and_after()
    {
        await using var server = await RunningServer.StartAsync();
        using var global = server.Client(await server.CreateKeyAsync(null));
        JsonObject Entry(string template) => new() { ["category"] = "Inboxes", ["type"] = "activity", ["crud"] = "create", ["template"] = template, ["description"] = "Make inbox" };
        Assert.Equal(HttpStatusCode.Created, (await global.PutAsync("/v1/actions/inbox.make", Some.Json(Entry("Made an inbox")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await global.PutAsync("/v1/actions/inbox.make", Some.Json(Entry("Made inbox {{target.name}}")))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await global.DeleteAsync("/v1/actions/inbox.make")).StatusCode);

        var (platform, _) = await LogAsync(server, "_platform");
        Assert.Equal(["catalog.create", "catalog.update", "catalog.delete"], platform.Select(e => e.Action));
        Assert.Null(platform[0].Changes!.Before);
        Assert.Equal("Made an inbox", platform[0].Changes!.After!.Value.GetProperty("template").GetString());
        Assert.Equal("Made an inbox", platform[1].Changes!.Before!.Value.GetProperty("template").GetString());
        Assert.Equal("Made inbox {{target.name}}", platform[1].Changes!.After!.Value.GetProperty("template").GetString());
        Assert.Null(platform[2].Changes!.After);
        Assert.All(platform, e => Assert.Equal("api_key", e.Actor.Type));
    }

    private static async Task<(List<AuditEvent> Events, string Raw)> LogAsync(RunningServer server, string tenant)
    {
        var events = new List<AuditEvent>();
        var raw = new StringBuilder();
        await foreach (var row in server.Store.ReadLogAsync(tenant, 1, CancellationToken.None))
        {
            events.Add(CanonicalEvent.Read(row.Body));
            raw.AppendLine(Encoding.UTF8.GetString(row.Body));
        }

        return (events, raw.ToString());
    }

    private static Task<int> CliAsync(string[] args) => WitnessCli.Build().Parse(args).InvokeAsync();
}
