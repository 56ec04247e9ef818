using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

public sealed class EventSchemaTests
{
    private static readonly EvaluationOptions Strict = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.List };

    /// <summary>The served schema (its root: the event as accepted), and the same document rooted at <c>#/$defs/Event</c> (the event as shown).</summary>
    private static async Task<(JsonSchema Accepted, JsonSchema Shown, JsonElement Document)> LoadAsync(HttpClient client)
    {
        var response = await client.GetAsync("/v1/schema/event.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var shown = JsonNode.Parse(text)!.AsObject();
        var suffix = Guid.NewGuid().ToString("N");
        shown["$id"] = $"urn:witness:test:shown:{suffix}";
        shown["$ref"] = "#/$defs/Event";
        var accepted = JsonNode.Parse(text)!.AsObject();
        accepted["$id"] = $"urn:witness:test:accepted:{suffix}";
        return (JsonSchema.FromText(accepted.ToJsonString()), JsonSchema.FromText(shown.ToJsonString()), JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    /// <summary>Events the validator accepts: the SPEC's example, the least there can be, nulls where allowed, every enum value, and limits at their edge.</summary>
    private static IEnumerable<JsonObject> AcceptedEvents(string tenant)
    {
        yield return Some.Event(tenant);
        yield return new JsonObject { ["action"] = "a", ["tenant"] = tenant };
        yield return new JsonObject
        {
            ["tenant"] = tenant, ["action"] = "x.y", ["category"] = null, ["occurred_at"] = null, ["actor"] = null, ["targets"] = null, ["reason"] = null,
            ["context"] = null, ["changes"] = null, ["metadata"] = null, ["description"] = null,
        };
        foreach (var type in (string[])["activity", "access", "webhook_failure", "integration_failure"])
        {
            yield return Some.Event(tenant, "user.login", e => e["type"] = type);
        }

        foreach (var actor in (string[])["user", "system", "api_key", "service"])
        {
            yield return Some.Event(tenant, "user.login", e => e["actor"]!["type"] = actor);
        }

        yield return Some.Event(tenant, new string('a', 128), e =>
        {
            e["id"] = new string('i', 128);
            e["outcome"] = "failure";
            e["reason"] = "denied";
            e["occurred_at"] = "2026-01-02T03:04:05.123+02:00";
            e["targets"] = new JsonArray([.. Enumerable.Range(0, 100).Select(i => (JsonNode)new JsonObject { ["type"] = "t", ["id"] = $"{i}" })]);
            e["context"] = new JsonObject { ["ip"] = "2001:db8::1", ["session_id"] = "s", ["request_id"] = "r", ["brand"] = "Acme" };
            e["metadata"] = new JsonObject { ["nested"] = new JsonObject { ["list"] = new JsonArray(1, "two", null) } };
            e["description"] = "Ünïcode ✓ <b>not markup</b>";
        });
    }

    /// <summary>Rejections the API documents (each answered 400 naming the field), and what in each the schema must refuse.</summary>
    private static IEnumerable<(string Why, JsonObject Event)> RejectedEvents(string tenant)
    {
        yield return ("no action", new JsonObject { ["tenant"] = tenant });
        yield return ("action with capitals", Some.Event(tenant, "Inbox.Create"));
        yield return ("action of 129 characters", Some.Event(tenant, new string('a', 129)));
        yield return ("empty action", Some.Event(tenant, ""));
        yield return ("tenant with a slash", Some.Event("a/b"));
        yield return ("id of 129 characters", Some.Event(tenant, change: e => e["id"] = new string('i', 129)));
        yield return ("unknown type", Some.Event(tenant, change: e => e["type"] = "audit"));
        yield return ("unknown outcome", Some.Event(tenant, change: e => e["outcome"] = "ok"));
        yield return ("unknown actor type", Some.Event(tenant, change: e => e["actor"]!["type"] = "robot"));
        yield return ("occurred_at not RFC 3339", Some.Event(tenant, change: e => e["occurred_at"] = "yesterday"));
        yield return ("unknown field", Some.Event(tenant, change: e => e["colour"] = "red"));
        yield return ("target without id", Some.Event(tenant, change: e => e["targets"] = new JsonArray(new JsonObject { ["type"] = "inbox" })));
        yield return ("101 targets", Some.Event(tenant, change: e => e["targets"] = new JsonArray([.. Enumerable.Range(0, 101).Select(i => (JsonNode)new JsonObject { ["type"] = "t", ["id"] = $"{i}" })])));
        yield return ("metadata not an object", Some.Event(tenant, change: e => e["metadata"] = "text"));
        yield return ("action a number", Some.Event(tenant, change: e => e["action"] = 7));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Every_event_the_validator_accepts_validates_against_the_schema_as_accepted_and_as_shown(string storeKind)
    {
        await using var store = await Streams.StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var (accepted, shown, document) = await LoadAsync(client);
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", document.GetProperty("$schema").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", document.GetProperty("version").GetString()!);

        var count = 0;
        foreach (var e in AcceptedEvents(tenant))
        {
            var response = await client.PostAsync(e);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{e.ToJsonString()[..Math.Min(200, e.ToJsonString().Length)]}: {await response.Content.ReadAsStringAsync()}");
            var result = accepted.Evaluate(JsonDocument.Parse(e.ToJsonString()).RootElement, Strict);
            Assert.True(result.IsValid, $"{e.ToJsonString()[..Math.Min(200, e.ToJsonString().Length)]}: {Errors(result)}");
            count++;
        }

        // As shown by the API (and so by exports and witness-format streams): every stored event.
        var page = await (await client.GetAsync("/v1/events?limit=1000")).JsonAsync();
        Assert.True(page.GetProperty("events").GetArrayLength() >= count);
        foreach (var stored in page.GetProperty("events").EnumerateArray())
        {
            var result = shown.Evaluate(stored, Strict);
            Assert.True(result.IsValid, $"{stored.GetProperty("seq")}: {Errors(result)}");
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Every_documented_rejection_is_refused_by_the_validator_and_by_the_schema(string storeKind)
    {
        await using var store = await Streams.StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync();
        var tenant = Some.Tenant();
        // A global key, so an event naming a malformed tenant is refused for its tenant, not for the key's.
        using var client = server.Client(await server.CreateKeyAsync(null));
        var (accepted, _, _) = await LoadAsync(client);

        foreach (var (why, e) in RejectedEvents(tenant))
        {
            var response = await client.PostAsync(e);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: the API answered {(int)response.StatusCode}");
            Assert.False(accepted.Evaluate(JsonDocument.Parse(e.ToJsonString()).RootElement, Strict).IsValid, $"{why}: the schema accepts it");
        }

        Assert.DoesNotContain(tenant, await server.Store.ListTenantsAsync(CancellationToken.None));
    }
}
