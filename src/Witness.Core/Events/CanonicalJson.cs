using System.Text.Json;

namespace Witness.Events;

/// <summary>
/// The canonical writing of free-form JSON (metadata, before/after values): object members sorted
/// by ordinal name, numbers kept as their exact source text, strings re-escaped by one encoder.
/// Writing a value parsed from canonical output gives the same bytes back.
/// </summary>
public static class CanonicalJson
{
    public static void Write(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                var members = new List<JsonProperty>();
                foreach (var member in value.EnumerateObject())
                {
                    members.Add(member);
                }

                members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                foreach (var member in members)
                {
                    writer.WritePropertyName(member.Name);
                    Write(writer, member.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(value.GetRawText(), skipInputValidation: true);
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>The path of the first member name that appears twice in one object, or null.</summary>
    public static string? FindDuplicateKey(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in value.EnumerateObject())
                {
                    var memberPath = $"{path}.{member.Name}";
                    if (!seen.Add(member.Name))
                    {
                        return memberPath;
                    }

                    var inner = FindDuplicateKey(member.Value, memberPath);
                    if (inner is not null)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var inner = FindDuplicateKey(item, $"{path}[{i++}]");
                    if (inner is not null)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
