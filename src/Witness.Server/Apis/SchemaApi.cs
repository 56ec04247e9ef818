using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Witness.Server.Apis;

/// <summary>
/// <c>GET /v1/schema/event.json</c>: the event as a versioned JSON Schema (draft 2020-12), built from the
/// same hand-written schemas the OpenAPI document uses (<c>OpenApi/EventSchemas.json</c>), so the two never
/// disagree. The root validates an event as <c>POST /v1/events</c> accepts it; <c>#/$defs/Event</c> is an event
/// as the API, exports and streams show it (with <c>seq</c>, <c>received_at</c> and <c>hash</c>).
/// </summary>
internal static class SchemaApi
{
    /// <summary>The schema's version: raised whenever the event's accepted or shown form changes.</summary>
    public const string Version = "1.0.0";

    public const string Id = "urn:witness:schema:event:1";

    private static readonly Lazy<string> Document = new(Build);

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/v1/schema/event.json", () => Results.Text(Document.Value, "application/schema+json; charset=utf-8"))
            .WithTags("Schema").AllowAnonymous()
            .WithSummary("The event as a JSON Schema (draft 2020-12), versioned: the root is the event as accepted, #/$defs/Event the event as shown.")
            .Produces(200, contentType: "application/schema+json");

    private static string Build()
    {
        using var stream = typeof(SchemaApi).Assembly.GetManifestResourceStream("openapi/EventSchemas.json")
            ?? throw new InvalidOperationException("the resource openapi/EventSchemas.json is missing");
        var defs = JsonNode.Parse(stream)!.AsObject();
        RewriteRefs(defs);
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = Id,
            ["title"] = "Witness audit event",
            ["description"] = "An event as POST /v1/events accepts it (the root) and as the API, exports and log streams show it (#/$defs/Event). " +
                "Limits the schema cannot state: an event is at most 64 KiB; occurred_at at most 24 hours in the future; a tenant in strict mode rejects actions missing from its catalog.",
            ["version"] = Version,
            ["$ref"] = "#/$defs/EventInput",
            ["$defs"] = defs,
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>OpenAPI's <c>#/components/schemas/X</c> references become <c>#/$defs/X</c>.</summary>
    private static void RewriteRefs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (key == "$ref" && value?.GetValue<string>() is { } target && target.StartsWith("#/components/schemas/", StringComparison.Ordinal))
                    {
                        o[key] = "#/$defs/" + target["#/components/schemas/".Length..];
                    }
                    else
                    {
                        RewriteRefs(value);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    RewriteRefs(item);
                }

                break;
        }
    }
}
