using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Cli;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Console;

/// <summary>Sign-in throttling, server-side sign-out, and revoking keys and users (issue 15, items 6, 7 and 9), over loopback.</summary>
public sealed class AccessControlTests
{
    private const string Tenant = "acme";
    private const string Password = "correct horse battery";
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Forty_wrong_passwords_lock_the_account_so_the_right_one_is_refused_until_the_window_passes()
    {
        var clock = new ServerClock(Now);
        await using var server = await RunningServer.StartAsync(o => o.Clock = clock);
        await AddUserAsync(server, "ada@acme.example", ConsoleRoles.Administrator);
        using var browser = new ConsoleHttpSession(server.Address);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            statuses.Add((await browser.SignInAsync("ada@acme.example", $"guess number {i}")).StatusCode);
        }

        Assert.All(statuses.Take(5), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(5), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        var refused = await browser.SignInAsync("ADA@acme.example", Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        Assert.Contains("Too many failed sign-ins", await refused.Content.ReadAsStringAsync());
        Assert.DoesNotContain(browser.Cookies.GetCookies(server.Address), c => c.Name == "witness_console");

        // Only the first failures of the window reach the tenant's log, not forty.
        using var api = await server.ClientForAsync(Tenant);
        var failed = await EventsAsync(api, "action=console.sign_in_failed");
        Assert.Equal(5, failed.Count);

        clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.SignInAsync("ada@acme.example", Password)).StatusCode);
    }

    [Fact]
    public async Task An_address_guessing_at_many_accounts_is_refused_before_any_password_is_hashed()
    {
        var clock = new ServerClock(Now);
        await using var server = await RunningServer.StartAsync(o =>
        {
            o.Clock = clock;
            o.SignInThrottle.MaxFailuresPerAddress = 3;
        });
        await AddUserAsync(server, "ada@acme.example", ConsoleRoles.Administrator);
        using var browser = new ConsoleHttpSession(server.Address);
        foreach (var email in new[] { "a@acme.example", "b@acme.example", "c@acme.example" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInAsync(email, "whatever-it-is")).StatusCode);
        }

        // A fourth account, and even the right password of a real one, from the same address.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await browser.SignInAsync("d@acme.example", "whatever-it-is")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await browser.SignInAsync("ada@acme.example", Password)).StatusCode);

        // The counters live in the store, where every instance reads them.
        var counted = await ((ISignInThrottleStore)server.Store).GetSignInFailuresAsync("address:127.0.0.1", Now - TimeSpan.FromMinutes(15), CancellationToken.None);
        Assert.Equal(3, counted.Failures);
    }

    [Fact]
    public async Task A_session_cookie_saved_before_sign_out_no_longer_opens_the_console_or_the_api()
    {
        await using var server = await RunningServer.StartAsync();
        await AddUserAsync(server, "grace@acme.example", ConsoleRoles.Auditor);
        using var browser = new ConsoleHttpSession(server.Address);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.SignInAsync("grace@acme.example", Password)).StatusCode);
        var saved = browser.SessionCookie();
        using (var replay = Replay(server, saved))
        {
            Assert.Equal(HttpStatusCode.OK, (await replay.GetAsync("/console")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await replay.GetAsync("/v1/events")).StatusCode);
        }

        var signedOut = await browser.PostFormAsync("/console", "/console/sign-out");
        Assert.Equal(HttpStatusCode.SeeOther, signedOut.StatusCode);
        Assert.EndsWith("signed_out=1", signedOut.Headers.Location!.OriginalString);

        using (var replay = Replay(server, saved))
        {
            var page = await replay.GetAsync("/console");
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith("/console/sign-in", page.Headers.Location!.OriginalString);
            var events = await replay.GetAsync("/v1/events");
            Assert.Equal(HttpStatusCode.Unauthorized, events.StatusCode);
            Assert.Equal("application/problem+json", events.Content.Headers.ContentType!.MediaType);
        }

        // Signing in again works and gives a new session.
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.SignInAsync("grace@acme.example", Password)).StatusCode);
        Assert.NotEqual(saved, browser.SessionCookie());
    }

    [Fact]
    public async Task A_form_token_issued_before_sign_in_or_none_at_all_is_refused_once_signed_in_and_changes_nothing()
    {
        await using var server = await RunningServer.StartAsync();
        await AddUserAsync(server, "ada@acme.example", ConsoleRoles.Administrator);
        var (browser, anonymousToken) = await ConsoleHttpSession.OpenAsync(server.Address);
        using var _ = browser;
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostSignInAsync(anonymousToken, "ada@acme.example", Password)).StatusCode);
        using var api = await server.ClientForAsync(Tenant);
        var settings = await api.GetStringAsync("/v1/settings");

        // The sign-in page's token was issued to no one; this browser's cookie pairs with it, but the signed-in user does not.
        var stale = new Dictionary<string, string> { ["__RequestVerificationToken"] = anonymousToken, ["retention_days"] = "1" };
        var refused = await browser.Client.PostAsync("/console/settings/retention", new FormUrlEncodedContent(stale));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("This form has expired", await refused.Content.ReadAsStringAsync());
        var missing = await browser.Client.PostAsync("/console/settings/retention", new FormUrlEncodedContent(new Dictionary<string, string> { ["retention_days"] = "1" }));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var notSignedOut = await browser.Client.PostAsync("/console/sign-out", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = anonymousToken }));
        Assert.Equal("/console", notSignedOut.Headers.Location?.OriginalString);
        Assert.Equal(settings, await api.GetStringAsync("/v1/settings"));

        // A token from a page shown to the signed-in user is accepted.
        var saved = await browser.PostFormAsync("/console/settings/retention", "/console/settings/retention", new Dictionary<string, string> { ["retention_days"] = "400" });
        Assert.Equal(HttpStatusCode.SeeOther, saved.StatusCode);
        Assert.NotEqual(settings, await api.GetStringAsync("/v1/settings"));
        var signedOut = await browser.PostFormAsync("/console", "/console/sign-out");
        Assert.EndsWith("signed_out=1", signedOut.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_revoked_key_and_a_removed_user_stop_working_at_once_and_a_new_password_ends_sessions()
    {
        await using var server = await RunningServer.StartAsync();
        await AddUserAsync(server, "ada@acme.example", ConsoleRoles.Administrator);
        await AddUserAsync(server, "grace@acme.example", ConsoleRoles.Auditor);
        var key = await server.CreateKeyAsync(Tenant);
        using var api = server.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/v1/events")).StatusCode);
        Assert.True(ApiKeys.TryParse(key, out var keyId, out _));

        Assert.Equal(0, await CliAsync(["keys", "revoke", keyId!, .. server.StoreArgs()]));
        var refused = await api.GetAsync("/v1/events");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(1, await CliAsync(["keys", "revoke", keyId!, .. server.StoreArgs()]));

        using var ada = new ConsoleHttpSession(server.Address);
        using var grace = new ConsoleHttpSession(server.Address);
        Assert.Equal(HttpStatusCode.SeeOther, (await ada.SignInAsync("ada@acme.example", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await grace.SignInAsync("grace@acme.example", Password)).StatusCode);

        Assert.Equal(0, await CliAsync(["users", "set-role", "grace@acme.example", "--role", "member", .. server.StoreArgs()]));
        Assert.Equal(HttpStatusCode.Forbidden, (await grace.Client.GetAsync("/v1/events")).StatusCode);

        Assert.Equal(0, await CliAsync(["users", "remove", "grace@acme.example", .. server.StoreArgs()]));
        Assert.Equal(HttpStatusCode.Unauthorized, (await grace.Client.GetAsync("/v1/events")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await ada.Client.GetAsync("/console")).StatusCode);
        Assert.Equal(0, await CliAsync(["users", "set-password", "ada@acme.example", "--password", "a brand new one", .. server.StoreArgs()]));
        Assert.Equal(HttpStatusCode.Redirect, (await ada.Client.GetAsync("/console")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.SignInAsync("ada@acme.example", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await ada.SignInAsync("ada@acme.example", "a brand new one")).StatusCode);
    }

    [Fact]
    public async Task An_administrator_revokes_keys_and_changes_and_removes_users_from_the_console_and_only_in_their_own_tenant()
    {
        await using var server = await RunningServer.StartAsync();
        await AddUserAsync(server, "ada@acme.example", ConsoleRoles.Administrator);
        await AddUserAsync(server, "grace@acme.example", ConsoleRoles.Auditor);
        var users = server.Services.GetRequiredService<IUserStore>();
        var stranger = ConsoleUser.Create("sam@other.example", Password, ConsoleRoles.Auditor, "other", null, Now);
        Assert.True(await users.TryCreateUserAsync(stranger, CancellationToken.None));
        var key = await server.CreateKeyAsync(Tenant);
        Assert.True(ApiKeys.TryParse(key, out var keyId, out _));
        using var api = server.Client(key);

        using var ada = new ConsoleHttpSession(server.Address);
        using var grace = new ConsoleHttpSession(server.Address);
        Assert.Equal(HttpStatusCode.SeeOther, (await ada.SignInAsync("ada@acme.example", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await grace.SignInAsync("grace@acme.example", Password)).StatusCode);
        const string page = "/console/settings/access";
        var html = await ada.Client.GetStringAsync(page);
        Assert.Contains("grace@acme.example", html);
        Assert.Contains($"wk_{keyId}_", html);
        Assert.DoesNotContain("sam@other.example", html);

        // An Auditor cannot open or use the page.
        Assert.Equal(HttpStatusCode.Forbidden, (await grace.Client.GetAsync(page)).StatusCode);

        var revoked = await ada.PostFormAsync(page, $"{page}/keys/{keyId}/revoke");
        Assert.Equal(HttpStatusCode.SeeOther, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/v1/events")).StatusCode);

        var graceId = (await users.FindUserByEmailAsync("grace@acme.example", CancellationToken.None))!.Id;
        Assert.Equal(HttpStatusCode.SeeOther, (await ada.PostFormAsync(page, $"{page}/users/{graceId}/role", new Dictionary<string, string> { ["role"] = "Member" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await grace.Client.GetAsync("/v1/events")).StatusCode);
        var badRole = await ada.PostFormAsync(page, $"{page}/users/{graceId}/role", new Dictionary<string, string> { ["role"] = "Owner" });
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        var badRoleBody = await badRole.Content.ReadAsStringAsync();
        Assert.Contains("Nothing was changed.", badRoleBody);
        Assert.Contains("unknown role", badRoleBody);

        // Another tenant's user is not found; a form without its token changes nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await ada.PostFormAsync(page, $"{page}/users/{stranger.Id}/remove")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ada.Client.PostAsync($"{page}/users/{graceId}/remove", new FormUrlEncodedContent([]))).StatusCode);
        Assert.NotNull(await users.FindUserAsync(stranger.Id, CancellationToken.None));

        Assert.Equal(HttpStatusCode.SeeOther, (await ada.PostFormAsync(page, $"{page}/users/{graceId}/remove")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await grace.Client.GetAsync("/v1/events")).StatusCode);
        Assert.Null(await users.FindUserAsync(graceId, CancellationToken.None));
    }

    [Fact]
    public async Task Keys_list_and_users_list_show_what_exists_without_secrets_and_bad_input_names_the_problem()
    {
        var data = TempFolder.Create("witness-access-cli");
        try
        {
            var created = await WitnessProcess.RunAsync("keys", "create", "--tenant", Tenant, "--scopes", "events:read", "--name", "reporting", "--data", data);
            Assert.Equal(0, created.ExitCode);
            var key = created.Output.Trim().Split('\n')[^1];
            Assert.True(ApiKeys.TryParse(key, out var keyId, out var secret));
            Assert.Equal(0, (await WitnessProcess.RunAsync("keys", "create", "--scopes", "admin", "--data", data)).ExitCode);
            Assert.Equal(0, (await WitnessProcess.RunAsync("keys", "revoke", key, "--data", data)).ExitCode);

            var keys = await WitnessProcess.RunAsync("keys", "list", "--data", data);
            Assert.Equal(0, keys.ExitCode);
            var lines = keys.Output.Trim().Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith($"{keyId}\tacme\tevents:read\treporting\t", lines[0]);
            Assert.Contains("\trevoked 20", lines[0]);
            Assert.Contains("\tglobal\tadmin\t", lines[1]);
            Assert.EndsWith("\tactive", lines[1]);
            Assert.DoesNotContain(secret!, keys.Output);
            Assert.Single((await WitnessProcess.RunAsync("keys", "list", "--tenant", Tenant, "--data", data)).Output.Trim().Split('\n'));

            Assert.Equal(0, (await WitnessProcess.RunAsync("users", "add", "ada@acme.example", "--password", Password, "--role", "Auditor", "--tenant", Tenant, "--name", "Ada", "--data", data)).ExitCode);
            var users = await WitnessProcess.RunAsync("users", "list", "--data", data);
            Assert.Equal("ada@acme.example\tAuditor\tacme\tAda\tusr_", users.Output.Trim()[..38]);
            Assert.DoesNotContain(Password, users.Output);

            var badRole = await WitnessProcess.RunAsync("users", "set-role", "ada@acme.example", "--role", "Owner", "--data", data);
            Assert.Equal(2, badRole.ExitCode);
            Assert.Contains("unknown role 'Owner'", badRole.Error);
            var shortPassword = await WitnessProcess.RunAsync("users", "set-password", "ada@acme.example", "--password", "short", "--data", data);
            Assert.Equal(2, shortPassword.ExitCode);
            Assert.Contains("at least 8 characters", shortPassword.Error);
            var nobody = await WitnessProcess.RunAsync("users", "remove", "nobody@acme.example", "--data", data);
            Assert.Equal(1, nobody.ExitCode);
            Assert.Contains("no user has the email 'nobody@acme.example'", nobody.Error);
            Assert.Equal(1, (await WitnessProcess.RunAsync("keys", "revoke", "nosuchkeyid0", "--data", data)).ExitCode);
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    private static HttpClient Replay(RunningServer server, string cookie)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("Cookie", $"witness_console={cookie}");
        return client;
    }

    private static async Task AddUserAsync(RunningServer server, string email, string role)
    {
        var users = server.Services.GetRequiredService<IUserStore>();
        Assert.True(await users.TryCreateUserAsync(ConsoleUser.Create(email, Password, role, Tenant, null, Now), CancellationToken.None));
    }

    private static async Task<JsonArray> EventsAsync(HttpClient api, string query)
    {
        var body = JsonNode.Parse(await api.GetStringAsync($"/v1/events?limit=1000&{query}"))!;
        return body["events"]!.AsArray();
    }

    private static Task<int> CliAsync(string[] args) => WitnessCli.Build().Parse(args).InvokeAsync();
}
