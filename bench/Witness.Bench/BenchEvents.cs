using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Events;

namespace Witness.Bench;

/// <summary>
/// Events with the shape and cardinality of a busy help desk: 1,000 users, 2,000 IPs, 60 inboxes,
/// 15 actions, about 5% failures, spread evenly over the 30 days before a fixed time.
/// </summary>
internal static class BenchEvents
{
    public static readonly DateTimeOffset End = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly (string Action, string Category, string Type)[] Actions =
    [
        ("user.login", "Authentication", LogTypes.Access), ("user.logout", "Authentication", LogTypes.Access),
        ("user.login_failed", "Authentication", LogTypes.Access), ("inbox.create", "Inboxes", LogTypes.Activity),
        ("inbox.update", "Inboxes", LogTypes.Activity), ("inbox.delete", "Inboxes", LogTypes.Activity),
        ("team.create", "Teams", LogTypes.Activity), ("team.update", "Teams", LogTypes.Activity),
        ("automation_rule.update", "Automation rules", LogTypes.Activity), ("macro.execute", "Macros", LogTypes.Activity),
        ("conversation.assign", "Conversations", LogTypes.Activity), ("conversation.close", "Conversations", LogTypes.Activity),
        ("label.assign", "Labels", LogTypes.Activity), ("agent.role.change", "Agents", LogTypes.Activity),
        ("webhook.delivery_failed", "Webhooks", LogTypes.WebhookFailure),
    ];

    public static AuditEvent[] Generate(int count, string tenant, int seed = 7)
    {
        var random = new Random(seed);
        var start = End.AddDays(-30);
        var step = TimeSpan.FromDays(30).Ticks / count;
        var events = new AuditEvent[count];
        for (var i = 0; i < count; i++)
        {
            var (action, category, type) = Actions[random.Next(Actions.Length)];
            var user = random.Next(1000);
            var inbox = random.Next(60);
            var failed = action == "user.login_failed" || random.Next(100) < 2;
            var at = EventParser.Truncate(start.AddTicks((step * i) + random.NextInt64(step)));
            events[i] = new AuditEvent
            {
                Id = "evt_" + Guid.CreateVersion7(at).ToString("N"),
                Tenant = tenant,
                OccurredAt = at,
                Type = type,
                Action = action,
                Category = category,
                Actor = new EventActor { Type = ActorTypes.User, Id = $"u_{user}", Name = $"User {user}", Email = $"user{user}@acme.example", Role = user % 10 == 0 ? "Administrator" : "Agent" },
                Targets = [new EventTarget { Type = "inbox", Id = $"{24000 + inbox}", Name = $"Inbox {inbox}", Url = $"https://app.example.com/inboxes/{24000 + inbox}" }],
                Outcome = failed ? Outcomes.Failure : Outcomes.Success,
                Reason = failed ? "Wrong password" : null,
                Context = new EventContext
                {
                    Ip = $"203.0.{random.Next(8)}.{random.Next(250)}",
                    UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
                    Location = new EventLocation { Country = "IT", City = "Milan" },
                    Source = "form",
                    SessionId = $"s_{random.Next(100000)}",
                },
                Changes = action.EndsWith(".update", StringComparison.Ordinal) || action == "agent.role.change"
                    ? new EventChanges { Before = JsonSerializer.SerializeToElement(new { name = "Support", role = "Agent" }), After = JsonSerializer.SerializeToElement(new { name = "Help desk", role = "Supervisor" }) }
                    : null,
                Description = $"{action} by User {user}",
            };
        }

        return events;
    }

    /// <summary>The event as a client would send it: the canonical form without the server's fields.</summary>
    public static JsonObject ClientJson(AuditEvent e)
    {
        var node = JsonNode.Parse(CanonicalEvent.Write(e))!.AsObject();
        node.Remove("seq");
        node.Remove("received_at");
        node.Remove("tenant");
        return node;
    }
}
