using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Witness.Testing;

/// <summary>Test values: realistic events as JSON, and small helpers to send and read them.</summary>
public static class Some
{
    private static int _counter;

    public static string Tenant() => $"t{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..20];

    /// <summary>A full event like SPEC §2's example; <paramref name="change"/> edits it before it is sent.</summary>
    public static JsonObject Event(string? tenant = null, string action = "inbox.create", Action<JsonObject>? change = null)
    {
        var n = Interlocked.Increment(ref _counter);
        var e = new JsonObject
        {
            ["action"] = action,
            ["category"] = "Inboxes",
            ["occurred_at"] = "2023-06-22T15:06:00Z",
            ["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_17", ["name"] = "Ada Admin", ["email"] = "user@cognigy.com", ["role"] = "Administrator" },
            ["targets"] = new JsonArray(new JsonObject { ["type"] = "inbox", ["id"] = $"{24725 + n}", ["name"] = "Support", ["url"] = $"https://app.example.com/inboxes/{24725 + n}" }),
            ["outcome"] = "success",
            ["context"] = new JsonObject
            {
                ["ip"] = "203.0.113.7",
                ["user_agent"] = "Mozilla/5.0",
                ["location"] = new JsonObject { ["country"] = "IT", ["city"] = "Milan" },
                ["source"] = "form",
            },
            ["changes"] = new JsonObject { ["before"] = new JsonObject { ["name"] = "Support" }, ["after"] = new JsonObject { ["name"] = "Help desk" } },
            ["metadata"] = new JsonObject { ["n"] = n },
        };
        if (tenant is not null)
        {
            e["tenant"] = tenant;
        }

        change?.Invoke(e);
        return e;
    }

    public static JsonObject Batch(IEnumerable<JsonObject> events) => new() { ["events"] = new JsonArray([.. events]) };

    public static StringContent Json(JsonNode node) => new(node.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, JsonNode body) => client.PostAsync("/v1/events", Json(body));

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Sends <paramref name="count"/> events to <paramref name="tenant"/> (empty: the key's own) in batches and checks each was accepted.</summary>
    public static async Task SendManyAsync(HttpClient client, string tenant, int count, Func<int, JsonObject>? make = null)
    {
        for (var start = 0; start < count; start += 500)
        {
            var batch = Enumerable.Range(start, Math.Min(500, count - start)).Select(i => make?.Invoke(i) ?? Event(string.IsNullOrEmpty(tenant) ? null : tenant));
            var response = await client.PostAsync(Batch(batch));
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"ingest failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
    }
}
