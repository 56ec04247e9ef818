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

                // Each name is read once: JsonProperty.Name makes a new string on every call, and a sort calls it often.
                var members = new List<(string Name, JsonElement Value)>();
                foreach (var member in value.EnumerateObject())
                {
                    members.Add((member.Name, member.Value));
                }

                members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                foreach (var (name, member) in members)
                {
                    writer.WritePropertyName(name);
                    Write(writer, member);
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
                    // A member's path is only made when it is reported or has members of its own.
                    var name = member.Name;
                    if (!seen.Add(name))
                    {
                        return $"{path}.{name}";
                    }

                    if (member.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array
                        && FindDuplicateKey(member.Value, $"{path}.{name}") is { } inner)
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
