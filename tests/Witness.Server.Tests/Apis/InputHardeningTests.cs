using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Apis;

/// <summary>The holes of issue 15 items 1–5, each tried as an attacker would, on the real server.</summary>
public sealed class InputHardeningTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>JSON text with bytes spliced in where <c>@@</c> stands: what no string in C# can hold.</summary>
    private static ByteArrayContent Raw(string json, params byte[] spliced)
    {
        var at = json.IndexOf("@@", StringComparison.Ordinal);
        var bytes = at < 0
            ? Encoding.UTF8.GetBytes(json)
            : [.. Encoding.UTF8.GetBytes(json[..at]), .. spliced, .. Encoding.UTF8.GetBytes(json[(at + 2)..])];
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<string> ProblemFieldAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        return problem.GetProperty("errors")[0].GetProperty("field").GetString()!;
    }

    private async Task<int> StoredCountAsync(string tenant)
    {
        using var reader = await _server.ClientForAsync(tenant);
        return (await (await reader.GetAsync("/v1/events")).JsonAsync()).GetProperty("events").GetArrayLength();
    }

    public static TheoryData<string, byte[], string> NotUnicode => new()
    {
        { """{"action":"x.y","reason":"@@"}""", [0xFF], "reason" },
        { """{"action":"x.y","reason":"ab@@cd"}""", [0xC3], "reason" },
        { """{"action":"x.y","reason":"\ud800"}""", [], "reason" },
        { """{"action":"x.y","reason":"\udc00\ud800"}""", [], "reason" },
        { """{"action":"x.y","metadata":{"a":{"b":["ok","\ud83d"]}}}""", [], "metadata.a.b[1]" },
        { """{"action":"x.y","metadata":{"@@":1}}""", [0xFE], "metadata" },
        { """{"action":"x.y","targets":[{"type":"t","id":"1"},{"type":"t","id":"2","name":"@@"}]}""", [0xED, 0xA0, 0x80], "targets[1].name" },
        { """{"events":[{"action":"x.y"},{"action":"x.y","changes":{"after":{"n":"\uDFFF"}}}]}""", [], "events[1].changes.after.n" },
        { """{"action":"x.y","actor":{"name":"\ud800\u0041"}}""", [], "actor.name" },
    };

    [Theory]
    [MemberData(nameof(NotUnicode))]
    public async Task Text_that_is_not_unicode_in_an_event_is_a_problem_naming_its_field_and_stores_nothing(string json, byte[] spliced, string field)
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync("/v1/events", Raw(json, spliced));
        Assert.Equal(field, await ProblemFieldAsync(response));
        Assert.Equal(0, await StoredCountAsync(tenant));
    }

    [Fact]
    public async Task A_valid_surrogate_pair_and_other_escapes_are_still_accepted()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync("/v1/events", Raw("""{"id":"pair","action":"x.y","reason":"\ud83d\ude00 caf\u00e9 \\ud800"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = await (await client.GetAsync("/v1/events/pair")).JsonAsync();
        Assert.Equal("😀 café \\ud800", stored.GetProperty("reason").GetString());
    }

    public static TheoryData<string, string, string, string> NotUnicodeElsewhere => new()
    {
        { "PUT", "/v1/actions/inbox.make", """{"category":"\ud800","type":"activity","crud":"create","template":"t","description":"d"}""", "category" },
        { "PATCH", "/v1/settings", """{"time_zone":"@@"}""", "time_zone" },
        { "POST", "/v1/alerts/rules", """{"name":"\udc00","kind":"match","query":"action:a.b"}""", "name" },
        { "POST", "/v1/webhooks", """{"url":"https://example.com/@@"}""", "url" },
        { "POST", "/v1/viewer-tokens", """{"tenant":"\ud800"}""", "tenant" },
    };

    [Theory]
    [MemberData(nameof(NotUnicodeElsewhere))]
    public async Task Text_that_is_not_unicode_in_any_json_endpoint_is_a_problem_naming_its_field(string method, string path, string json, string field)
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Raw(json, 0xFF) });
        Assert.Equal(field, await ProblemFieldAsync(response));
    }

    [Theory]
    [InlineData("""{"id":"td-1","action":"x.y"}{"id":"td-2","action":"x.y"}""")]
    [InlineData("""{"id":"td-1","action":"x.y"} garbage <html>""")]
    [InlineData("""{"events":[{"id":"td-1","action":"x.y"}]}]""")]
    [InlineData("""{"id":"td-1","action":"x.y"},""")]
    public async Task Data_after_the_json_value_is_rejected_and_nothing_is_stored(string body)
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync("/v1/events", Raw(body));
        Assert.Equal("body", await ProblemFieldAsync(response));
        Assert.Equal(0, await StoredCountAsync(tenant));
    }

    [Fact]
    public async Task Whitespace_after_the_json_value_is_allowed()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync("/v1/events", Raw("{\"action\":\"x.y\"}\r\n \t\n"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task An_action_that_ends_in_a_newline_is_rejected()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        Assert.Equal("action", await ProblemFieldAsync(await client.PostAsync(new JsonObject { ["action"] = "user.login\n" })));
        Assert.Equal(0, await StoredCountAsync(tenant));
    }

    [Fact]
    public async Task A_global_key_cannot_create_a_tenant_whose_name_ends_in_a_newline()
    {
        using var global = _server.Client(await _server.CreateKeyAsync(null));
        Assert.Equal("tenant", await ProblemFieldAsync(await global.PostAsync(new JsonObject { ["tenant"] = "demo\n", ["action"] = "x.y" })));
        Assert.DoesNotContain("demo\n", await _server.Store.ListTenantsAsync(CancellationToken.None));
        var checkpoint = await global.GetAsync("/v1/checkpoints/latest?tenant=demo%0A");
        Assert.Equal(HttpStatusCode.BadRequest, checkpoint.StatusCode);
    }

    [Fact]
    public async Task A_catalog_action_that_ends_in_a_newline_is_rejected()
    {
        using var client = await _server.ClientForAsync(Some.Tenant());
        var body = new JsonObject { ["category"] = "Misc", ["type"] = "activity", ["crud"] = "other", ["template"] = "Did it", ["description"] = "Do it" };
        var response = await client.PutAsync("/v1/actions/a.b%0A", Some.Json(body));
        Assert.Equal("action", await ProblemFieldAsync(response));
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/actions/a.b", Some.Json(body))).StatusCode);
    }

    [Fact]
    public async Task A_numeric_target_id_obeys_the_same_length_limit_as_a_text_one()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var tooLong = Raw($$"""{"action":"x.y","targets":[{"type":"t","id":{{new string('9', 300)}}}]}""");
        Assert.Equal("targets[0].id", await ProblemFieldAsync(await client.PostAsync("/v1/events", tooLong)));
        Assert.Equal(0, await StoredCountAsync(tenant));

        var longest = Raw($$"""{"id":"n","action":"x.y","targets":[{"type":"t","id":{{new string('9', 256)}}}]}""");
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/events", longest)).StatusCode);
    }

    [Theory]
    [InlineData("fe80::1%eth0")]
    [InlineData("fe80::1%1")]
    [InlineData("fe80::1%lo")]
    public async Task An_ip_with_a_zone_is_rejected_rather_than_rewritten_through_this_hosts_interfaces(string ip)
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync(new JsonObject { ["action"] = "x.y", ["context"] = new JsonObject { ["ip"] = ip } });
        Assert.Equal("context.ip", await ProblemFieldAsync(response));
        Assert.Equal(0, await StoredCountAsync(tenant));
    }

    [Fact]
    public async Task An_ipv6_address_without_a_zone_is_stored_as_sent()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync(new JsonObject { ["id"] = "v6", ["action"] = "x.y", ["context"] = new JsonObject { ["ip"] = "fe80::1" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = await (await client.GetAsync("/v1/events/v6")).JsonAsync();
        Assert.Equal("fe80::1", stored.GetProperty("context").GetProperty("ip").GetString());
    }

    private async Task<string> AddAdministratorAsync()
    {
        var email = $"admin-{Guid.NewGuid():N}@example.com";
        var users = _server.Services.GetRequiredService<IUserStore>();
        Assert.True(await users.TryCreateUserAsync(ConsoleUser.Create(email, Password, ConsoleRoles.Administrator, Some.Tenant(), "Admin", DateTimeOffset.UtcNow), CancellationToken.None));
        return email;
    }

    [Theory]
    [InlineData("/console?q=café", "/console?q=caf%C3%A9")]
    [InlineData("/\u3000/evil.example/", "/%E3%80%80/evil.example/")]
    [InlineData("/console?actor=\u00fcser%40x", "/console?actor=%C3%BCser%40x")]
    public async Task A_non_ascii_return_address_is_kept_percent_encoded_after_sign_in(string returnUrl, string location)
    {
        var email = await AddAdministratorAsync();
        var (session, token) = await ConsoleHttpSession.OpenAsync(_server.Address);
        using (session)
        {
            var signIn = await session.PostSignInAsync(token, email, Password, returnUrl);
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
            Assert.Equal(location, signIn.Headers.Location?.OriginalString);

            // Already signed in, the form sends the visitor straight on.
            var again = await session.Client.GetAsync("/console/sign-in?return=" + Uri.EscapeDataString(returnUrl));
            Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
            Assert.Equal(location, again.Headers.Location?.OriginalString);
        }
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("https://evil.example/")]
    [InlineData("/\u0085/evil")]
    public async Task A_return_address_off_this_server_still_falls_back_to_the_console(string returnUrl)
    {
        var email = await AddAdministratorAsync();
        var (session, token) = await ConsoleHttpSession.OpenAsync(_server.Address);
        using (session)
        {
            var signIn = await session.PostSignInAsync(token, email, Password, returnUrl);
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
            Assert.Equal("/console", signIn.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task An_anonymous_sign_in_form_with_a_non_ascii_return_address_renders()
    {
        using var client = _server.Client();
        var response = await client.GetAsync("/console/sign-in?return=" + Uri.EscapeDataString("/console?q=café\u3000"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("caf%C3%A9%E3%80%80", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
