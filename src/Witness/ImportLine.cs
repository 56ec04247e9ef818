using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Events;

namespace Witness.Cli;

/// <summary>
/// Turns one line of an NDJSON file into the event object a client would send: a Witness export's
/// header and trailer are skipped, its <c>{"event":…,"proof":…}</c> lines unwrapped, the fields the
/// server adds (<c>seq</c>, <c>received_at</c>, <c>hash</c>, and the salts of leaf version 2 in <c>personal</c>) dropped
/// (the importing log seals the values with salts of its own), and the tenant set to the one
/// imported into. A line without an id gets one derived from its number and content, so running the
/// same import again finds the events it already stored.
/// </summary>
internal static class ImportLine
{
    private static readonly string[] ServerFields = ["seq", "received_at", "hash", "personal"];

    /// <summary>The event to send, or null for a line that holds none (blank, export header or trailer).</summary>
    /// <exception cref="EventValidationException">The line is not a JSON object.</exception>
    public static JsonObject? Normalize(string line, long lineNumber, string tenant)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new EventValidationException([new ValidationError("line", $"not valid JSON: {ex.Message}")]);
        }

        if (node is not JsonObject obj)
        {
            throw new EventValidationException([new ValidationError("line", "expected a JSON object: one event per line")]);
        }

        if (obj.ContainsKey(Export.VerifiableExport.HeaderMember) || obj.ContainsKey(Export.VerifiableExport.TrailerMember))
        {
            return null;
        }

        if (!obj.ContainsKey("action") && obj["event"] is JsonObject wrapped)
        {
            obj = (JsonObject)wrapped.DeepClone();
        }

        foreach (var field in ServerFields)
        {
            obj.Remove(field);
        }

        obj["tenant"] = tenant;
        if (!obj.ContainsKey("id"))
        {
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{lineNumber}\n{line}"));
            obj["id"] = "imp_" + Convert.ToHexStringLower(digest)[..32];
        }

        return obj;
    }
}
