using System.Text.Json.Nodes;

namespace Witness.Server.OpenApi;

/// <summary>The examples of the event endpoints in the OpenAPI description: one help-desk event, as sent and as stored.</summary>
internal static class EventExamples
{
    private const string Hash = "5a1c4b0e9f3d2c7b8a6e5f4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09";

    public static JsonNode Input => JsonNode.Parse("""
        {
          "id": "evt-0001",
          "action": "inbox.create",
          "category": "Inboxes",
          "occurred_at": "2023-06-22T15:06:00Z",
          "actor": { "type": "user", "id": "u_17", "name": "Ada Admin", "email": "ada@acme.example", "role": "Administrator" },
          "targets": [ { "type": "inbox", "id": "24725", "name": "Support", "url": "https://app.example.com/inboxes/24725" } ],
          "context": { "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "location": { "country": "IT", "city": "Milan" } },
          "changes": { "before": null, "after": { "name": "Support" } }
        }
        """)!;

    public static JsonNode Stored => JsonNode.Parse($$"""
        {
          "id": "evt-0001",
          "tenant": "acme",
          "seq": 1,
          "received_at": "2023-06-22T15:06:00.412807Z",
          "occurred_at": "2023-06-22T15:06:00.000000Z",
          "type": "activity",
          "action": "inbox.create",
          "category": "Inboxes",
          "actor": { "type": "user", "id": "u_17", "name": "Ada Admin", "email": "ada@acme.example", "role": "Administrator" },
          "targets": [ { "type": "inbox", "id": "24725", "name": "Support", "url": "https://app.example.com/inboxes/24725" } ],
          "outcome": "success",
          "context": { "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "location": { "country": "IT", "city": "Milan" } },
          "changes": { "before": null, "after": { "name": "Support" } },
          "description": "Created a new inbox (#24725)",
          "hash": "{{Hash}}"
        }
        """)!;

    public static JsonNode Page => new JsonObject { ["events"] = new JsonArray(Stored), ["next_cursor"] = null };

    public static JsonNode Appended(string status) => JsonNode.Parse($$"""
        { "events": [ { "id": "evt-0001", "seq": 1, "hash": "{{Hash}}", "status": "{{status}}" } ] }
        """)!;
}
