using System.Text;
using System.Text.Json.Nodes;
using Witness.Events;
using Microsoft.Extensions.Time.Testing;

namespace Witness.Storage.Tests.Conformance;

/// <summary>Events as a client would send them, parsed and validated by the real parser, ready for <see cref="IWitnessStore.AppendAsync"/>.</summary>
internal static class Submit
{
    public static readonly DateTimeOffset Now = new(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);

    private static readonly EventParser Parser = new(new FakeTimeProvider(Now));
    private static int _counter;

    public static string Tenant() => $"t{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..20];

    /// <summary>A full event; <paramref name="change"/> edits the JSON before it is parsed.</summary>
    public static JsonObject Event(string tenant, string action = "inbox.create", Action<JsonObject>? change = null)
    {
        var n = Interlocked.Increment(ref _counter);
        var e = new JsonObject
        {
            ["tenant"] = tenant,
            ["action"] = action,
            ["category"] = "Inboxes",
            ["occurred_at"] = "2025-06-01T10:00:00Z",
            ["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_17", ["name"] = "Ada Admin", ["email"] = "Ada@Example.com" },
            ["targets"] = new JsonArray(new JsonObject { ["type"] = "inbox", ["id"] = $"in_{n}", ["name"] = "Support" }),
            ["outcome"] = "success",
            ["context"] = new JsonObject { ["ip"] = "203.0.113.7", ["location"] = new JsonObject { ["country"] = "IT", ["city"] = "Milan" } },
            ["metadata"] = new JsonObject { ["n"] = n },
        };
        change?.Invoke(e);
        return e;
    }

    /// <summary>One request of <paramref name="events"/>, as <c>POST /v1/events</c> would hand it to the store.</summary>
    public static IReadOnlyList<SubmittedEvent> Request(params JsonObject[] events) =>
        Parser.ParseRequest(Encoding.UTF8.GetBytes(new JsonObject { ["events"] = new JsonArray([.. events.Select(e => e.DeepClone())]) }.ToJsonString()), null);

    /// <summary>Appends each request in its own group commit and returns the results in order.</summary>
    public static async Task<List<AppendResult>> AppendAsync(this IWitnessStore store, params IReadOnlyList<SubmittedEvent>[] requests)
    {
        var results = new List<AppendResult>();
        foreach (var request in requests)
        {
            results.AddRange(await store.AppendAsync([request], Now, CancellationToken.None));
        }

        return results;
    }

    /// <summary>Appends <paramref name="count"/> events to <paramref name="tenant"/> in requests of up to 500.</summary>
    public static async Task AppendManyAsync(this IWitnessStore store, string tenant, int count, Func<int, JsonObject>? make = null)
    {
        for (var start = 0; start < count; start += 500)
        {
            var request = Request([.. Enumerable.Range(start, Math.Min(500, count - start)).Select(i => make?.Invoke(i) ?? Event(tenant))]);
            var result = (await store.AppendAsync([request], Now, CancellationToken.None))[0];
            Assert.Null(result.Conflict);
        }
    }
}
