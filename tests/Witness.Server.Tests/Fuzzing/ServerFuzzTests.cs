using System.Net;
using System.Net.Http.Headers;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Fuzzing;

/// <summary>
/// Generated requests against a real server over loopback: none gets a 5xx, a refused one is a
/// problem and stores nothing, and no return address leads off the server. Each property runs its
/// cases one after another; the blocking waits inside them are on HttpClient and the store, which
/// never need the test's synchronization context.
/// </summary>
public sealed class ServerFuzzTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private long LogSize(string tenant) => _server.Store.GetFrontierAsync(tenant, CancellationToken.None).GetAwaiter().GetResult()?.Size ?? 0;

    private static void NotAServerError(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        Assert.True(status < 500, $"{what} answered {status}: {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
        // Kestrel itself answers a request line it cannot take (a NUL in the path) with an empty 400;
        // every answer of Witness's own that has a body says what is wrong as a problem.
        if (status >= 400 && status != 404 && status != 405 && response.Content.Headers.ContentLength != 0)
        {
            var type = response.Content.Headers.ContentType?.MediaType;
            Assert.True(type == "application/problem+json", $"{what} answered {status} as {type ?? "nothing"}");
        }
    }

    [Fact]
    public async Task Any_body_sent_as_events_gets_no_5xx_and_a_refused_one_stores_nothing()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        Fuzz.Check(FuzzInputs.EventBody, body =>
        {
            var before = LogSize(tenant);
            using var response = client.PostAsync("/v1/events", Json(body)).GetAwaiter().GetResult();
            NotAServerError(response, "POST /v1/events");
            var after = LogSize(tenant);
            if (response.IsSuccessStatusCode)
            {
                var created = response.JsonAsync().GetAwaiter().GetResult().GetProperty("events").EnumerateArray()
                    .Count(e => e.GetProperty("status").GetString() == "created");
                Assert.Equal(before + created, after);
            }
            else
            {
                Assert.Equal(before, after);
            }
        }, cases: 400);
    }

    [Fact]
    public async Task Any_search_query_gets_results_or_a_problem_never_a_5xx()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 20);
        Fuzz.Check(FuzzInputs.Query, q =>
        {
            using var response = client.GetAsync("/v1/events?q=" + FuzzInputs.Percent(q)).GetAwaiter().GetResult();
            NotAServerError(response, $"GET /v1/events?q={q}");
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"q={q} answered {(int)response.StatusCode}");
        }, cases: 300);
    }

    [Fact]
    public async Task Any_settings_body_gets_no_5xx_and_a_refused_one_changes_nothing()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        Fuzz.Check(FuzzInputs.ObjectBody("retention_days", "time_zone", "strict_mode", "legal_hold"), body =>
        {
            var before = _server.Store.GetSettingsAsync(tenant, CancellationToken.None).GetAwaiter().GetResult();
            var size = LogSize(tenant);
            using var response = client.PatchAsync("/v1/settings", Json(body)).GetAwaiter().GetResult();
            NotAServerError(response, "PATCH /v1/settings");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(before, _server.Store.GetSettingsAsync(tenant, CancellationToken.None).GetAwaiter().GetResult());
                Assert.Equal(size, LogSize(tenant));
            }
        }, cases: 200);
    }

    [Fact]
    public async Task Any_body_sent_to_the_other_json_endpoints_gets_no_5xx()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var requests = Gen.Frequency(
            (1, Gen.Zip(FuzzInputs.Text, FuzzInputs.ObjectBody("action", "category", "type", "crud", "template", "description"), (action, body) => (Method: "PUT", Path: "/v1/actions/" + FuzzInputs.Percent(action), Body: body))),
            (1, FuzzInputs.ObjectBody("name", "kind", "query", "threshold", "window_minutes", "group_by", "dimension", "enabled").Select(body => (Method: "POST", Path: "/v1/alerts/rules", Body: body))),
            (1, FuzzInputs.ObjectBody("url", "secret", "event_types", "enabled", "description").Select(body => (Method: "POST", Path: "/v1/webhooks", Body: body))),
            (1, FuzzInputs.ObjectBody("tenant", "ttl_seconds").Select(body => (Method: "POST", Path: "/v1/viewer-tokens", Body: body))));
        Fuzz.Check(requests, request =>
        {
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path) { Content = Json(request.Body) };
            using var response = client.SendAsync(message).GetAwaiter().GetResult();
            NotAServerError(response, $"{request.Method} {request.Path}");
        }, cases: 300);
    }

    [Fact]
    public async Task Any_sign_in_return_address_renders_or_redirects_on_this_server_never_a_5xx()
    {
        var email = $"fuzz-{Guid.NewGuid():N}@example.com";
        var users = _server.Services.GetRequiredService<IUserStore>();
        Assert.True(await users.TryCreateUserAsync(ConsoleUser.Create(email, Password, ConsoleRoles.Administrator, Some.Tenant(), "Fuzz", DateTimeOffset.UtcNow), CancellationToken.None));
        using var session = await ConsoleHttpSession.SignInAsync(_server.Address, email, Password);
        using var anonymous = _server.Client();
        Fuzz.Check(FuzzInputs.ReturnParameter, parameter =>
        {
            var path = "/console/sign-in?return=" + parameter;
            using var form = anonymous.GetAsync(path).GetAwaiter().GetResult();
            Assert.Equal(HttpStatusCode.OK, form.StatusCode);

            using var redirect = session.Client.GetAsync(path).GetAwaiter().GetResult();
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            var location = redirect.Headers.Location?.OriginalString;
            Assert.NotNull(location);
            Assert.StartsWith("/", location, StringComparison.Ordinal);
            Assert.False(location.StartsWith("//", StringComparison.Ordinal) || location.StartsWith("/\\", StringComparison.Ordinal), $"{parameter} led to {location}");
            var target = new Uri(_server.Address, location);
            Assert.Equal(_server.Address.Authority, target.Authority);
        }, cases: 300);
    }
}
