using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Witness.Access;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>What every endpoint does alike: JSON bodies only, 403 naming the scope, one time format.</summary>
public sealed partial class ApiEdgeTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_endpoint_that_takes_a_body_refuses_one_not_sent_as_json_with_a_415_naming_the_header()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        using var description = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var checkedOperations = new List<string>();
        foreach (var path in description.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.TryGetProperty("requestBody", out _)))
            {
                var url = path.Name.Replace("{action}", "widget.create").Replace("{id}", "x").Replace("{deliveryId}", "y");
                foreach (var contentType in new[] { "text/plain", null })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(operation.Name.ToUpperInvariant()), url)
                    {
                        Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Some.Event(tenant).ToJsonString())),
                    };
                    if (contentType is not null)
                    {
                        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
                    }

                    var response = await client.SendAsync(request);
                    Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{operation.Name} {url} with {contentType ?? "no Content-Type"}: {(int)response.StatusCode}");
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    Assert.Contains("Content-Type: application/json", (await response.JsonAsync()).GetProperty("detail").GetString());
                }

                checkedOperations.Add($"{operation.Name} {path.Name}");
            }
        }

        Assert.Contains("post /v1/events", checkedOperations);
        Assert.Contains("put /v1/actions/{action}", checkedOperations);
        Assert.Contains("patch /v1/settings", checkedOperations);
        var page = await (await client.GetAsync("/v1/events")).JsonAsync();
        Assert.DoesNotContain(page.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "inbox.create");

        var json = await client.PostAsync("/v1/events", new StringContent(Some.Event(tenant).ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, json.StatusCode);
    }

    [Fact]
    public async Task An_empty_body_of_another_type_to_an_endpoint_that_accepts_json_is_a_415_problem_too()
    {
        using var client = await _server.ClientForAsync(Some.Tenant());

        var response = await client.PutAsync("/v1/actions/widget.create", new StringContent("", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Content-Type", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_403_names_the_scope_the_key_lacks()
    {
        var tenant = Some.Tenant();
        using var writer = await _server.ClientForAsync(tenant, Scopes.EventsWrite);
        using var reader = await _server.ClientForAsync(tenant, Scopes.EventsRead);

        var search = await writer.GetAsync("/v1/events");
        Assert.Equal(HttpStatusCode.Forbidden, search.StatusCode);
        Assert.Contains("'events:read'", (await search.JsonAsync()).GetProperty("detail").GetString());

        var send = await reader.PostAsync(Some.Event(tenant));
        Assert.Contains("'events:write'", (await send.JsonAsync()).GetProperty("detail").GetString());

        var settings = await reader.PatchAsync("/v1/settings", Some.Json(new System.Text.Json.Nodes.JsonObject { ["retention_days"] = 30 }));
        Assert.Equal(HttpStatusCode.Forbidden, settings.StatusCode);
        Assert.Contains("'admin'", (await settings.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Every_time_the_api_answers_is_utc_with_z_and_six_decimals_an_events_own_times_too()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Event(tenant, change: e => { e["id"] = "t-1"; e["occurred_at"] = "2023-06-22T17:06:00.5+02:00"; }))).StatusCode);
        var webhook = await client.PostAsync("/v1/webhooks", Some.Json(new System.Text.Json.Nodes.JsonObject { ["url"] = "https://hooks.example.com/witness", ["event_types"] = new System.Text.Json.Nodes.JsonArray("alert.fired") }));
        var rule = await client.PostAsync("/v1/alerts/rules", Some.Json(new System.Text.Json.Nodes.JsonObject { ["name"] = "any", ["kind"] = "match", ["query"] = "action:inbox.*" }));
        var token = await client.PostAsync("/v1/viewer-tokens", Some.Json(new System.Text.Json.Nodes.JsonObject()));
        var proof = await client.GetStringAsync("/v1/events/t-1/proof");
        var latest = await client.GetStringAsync("/v1/checkpoints/latest");

        var answers = new[]
        {
            await client.GetStringAsync("/v1/events/t-1"),
            await client.GetStringAsync("/v1/events"),
            latest,
            proof,
            await webhook.Content.ReadAsStringAsync(),
            await client.GetStringAsync("/v1/webhooks"),
            await rule.Content.ReadAsStringAsync(),
            await token.Content.ReadAsStringAsync(),
            await client.GetStringAsync("/v1/events/stats?from=2023-06-01&to=2023-07-01"),
        };

        var times = answers.SelectMany(a => Times(JsonDocument.Parse(a).RootElement, insideEvent: false)).ToList();
        Assert.True(times.Count >= 14, string.Join("\n", answers));
        Assert.All(times, t => Assert.Matches(FixedTimeFormat(), t.Value));
        Assert.Contains(times, t => t is { Name: "occurred_at", Value: "2023-06-22T15:06:00.500000Z", InsideEvent: true });
        Assert.Contains(times, t => t is { Name: "received_at", InsideEvent: true });
        Assert.Contains(times, t => t.Name == "expires_at");
        Assert.Contains(times, t => t.Name == "updated_at");
        Assert.Contains(times, t => t.Name == "start");

        // The checkpoint a proof has just issued shows the same time as the same checkpoint read back from the store.
        using var issued = JsonDocument.Parse(proof);
        using var stored = JsonDocument.Parse(latest);
        Assert.Equal(stored.RootElement.GetProperty("size").GetInt64(), issued.RootElement.GetProperty("checkpoint").GetProperty("size").GetInt64());
        Assert.Equal(
            stored.RootElement.GetProperty("created_at").GetString(),
            issued.RootElement.GetProperty("checkpoint").GetProperty("created_at").GetString());
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\z")]
    private static partial Regex FixedTimeFormat();

    private static readonly HashSet<string> TimeNames = ["from", "to", "start", "end", "timestamp"];

    private static IEnumerable<(string Name, string Value, bool InsideEvent)> Times(JsonElement element, bool insideEvent)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            return element.EnumerateArray().SelectMany(e => Times(e, insideEvent));
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        // A stored event as the API shows it: its canonical bytes (seq, received_at, occurred_at among them) and its hash.
        var isEvent = insideEvent || (element.TryGetProperty("seq", out _) && element.TryGetProperty("received_at", out _) && element.TryGetProperty("hash", out _));
        return element.EnumerateObject().SelectMany(p =>
            (p.Name.EndsWith("_at", StringComparison.Ordinal) || TimeNames.Contains(p.Name)) && p.Value.ValueKind == JsonValueKind.String
                ? [(p.Name, p.Value.GetString()!, isEvent)]
                : Times(p.Value, isEvent));
    }
}
