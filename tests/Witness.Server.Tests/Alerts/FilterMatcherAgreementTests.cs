using System.Text.Json.Nodes;
using Witness.Events;
using Witness.Search;
using Witness.Server.Tests.Retention;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Alerts;

/// <summary>Alert rules match events in memory; they must find exactly what a search with the same query finds.</summary>
public sealed class FilterMatcherAgreementTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_in_memory_matcher_agrees_with_the_store_on_every_kind_of_term()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var sent = await client.PostAsync(Some.Batch([
            Some.Event(tenant, "inbox.create"),
            Some.Event(tenant, "inbox.delete", e => { e["category"] = "INBOXES"; e["outcome"] = "failure"; }),
            Some.Event(tenant, "user.login", e =>
            {
                e["type"] = "access";
                e["category"] = null;
                e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_9", ["email"] = "Bob@Example.com", ["name"] = "Bob Ünal" };
                e["context"] = new JsonObject { ["ip"] = "2001:db8::7", ["location"] = new JsonObject { ["country"] = "DE", ["city"] = "Köln" } };
            }),
            Some.Event(tenant, "integration.sync_failed", e =>
            {
                e["type"] = "integration_failure";
                e["outcome"] = "failure";
                e["actor"] = new JsonObject { ["type"] = "service", ["id"] = "salesforce" };
                e["metadata"] = new JsonObject { ["integration_name"] = "Salesforce", ["integration_type"] = "crm", ["failure_type"] = "auth", ["details"] = "OAuth token expired" };
                e.Remove("context");
            }),
            Some.Event(tenant, "webhook.delivery_failed", e =>
            {
                e["type"] = "webhook_failure";
                e["targets"] = new JsonArray(new JsonObject { ["type"] = "webhook", ["id"] = "wh_1", ["name"] = "https://hooks.partner.example" });
                e["context"] = new JsonObject { ["ip"] = "203.0.113.200" };
                e["occurred_at"] = "2023-06-30T08:00:00Z";
            }),
        ]));
        Assert.Equal(System.Net.HttpStatusCode.Created, sent.StatusCode);
        var all = (await RetentionTests.SearchAsync(client, "")).Select(j => CanonicalEvent.FromElement(j)).ToList();

        string[] queries =
        [
            "actor:u_17", "actor:bob@example.com", "actor:BOB@EXAMPLE.COM", "-actor:u_17", "action:inbox.*", "action:inbox.delete", "-action:inbox.*",
            "category:inboxes", "-category:Inboxes", "type:access", "type:integration_failure", "outcome:failure", "target:wh_1", "target:webhook:wh_1",
            "target:inbox:wh_1", "ip:203.0.113.0/24", "ip:2001:db8::/32", "-ip:203.0.113.7", "köln", "salesforce", "\"oauth token\"", "-support",
            "created:>=2023-06-25", "created:2023-06-22", "type:webhook_failure hooks.partner", "ada admin outcome:success",
        ];
        foreach (var q in queries)
        {
            var filter = SearchQueryParser.Parse(q, TimeZoneInfo.Utc);
            var stored = (await RetentionTests.SearchAsync(client, q)).Select(e => e.GetProperty("seq").GetInt64()).Order().ToList();
            var matched = all.Where(e => EventFilterMatcher.Matches(filter, e, EventIndexKeys.From(e)) && e.Action != "audit_log.view").Select(e => e.Seq).Order().ToList();
            Assert.True(q.StartsWith('-') || matched.Count > 0 || q.Contains("inbox:wh_1"), $"query '{q}' matches nothing, so it proves nothing");
            Assert.True(stored.Where(s => all.Any(e => e.Seq == s && e.Action != "audit_log.view")).SequenceEqual(matched), $"query '{q}': store {string.Join(",", stored)}, matcher {string.Join(",", matched)}");
        }

        // Failure logs' search text includes their metadata; verification derives it the same way.
        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
    }
}
