using System.Text.Encodings.Web;
using System.Text.Json;

namespace Witness.Server.Console;

/// <summary>How a field differs between the before and after values of an update.</summary>
internal enum ChangeKind
{
    Unchanged,
    Changed,
    Added,
    Removed,
}

/// <summary>One field of a before/after pair: its path (<c>settings.greeting</c>), its JSON text on each side (null when absent) and how it changed.</summary>
internal sealed record ChangedField(string Path, string? Before, string? After, ChangeKind Kind);

/// <summary>
/// Compares the before and after objects of an event field by field. Nested objects are followed
/// (paths joined with '.'), arrays and scalars are compared as whole JSON values. Fields come in the
/// order of the before object, then those only the after object has.
/// </summary>
internal static class ChangeDiff
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<ChangedField> Compare(JsonElement? before, JsonElement? after)
    {
        var left = Flatten(before);
        var right = Flatten(after);
        var fields = new List<ChangedField>(left.Count + right.Count);
        foreach (var (path, value) in left)
        {
            if (!right.TryGetValue(path, out var other))
            {
                fields.Add(new ChangedField(path, Show(value), null, ChangeKind.Removed));
            }
            else
            {
                var kind = JsonElement.DeepEquals(value, other) ? ChangeKind.Unchanged : ChangeKind.Changed;
                fields.Add(new ChangedField(path, Show(value), Show(other), kind));
            }
        }

        foreach (var (path, value) in right)
        {
            if (!left.ContainsKey(path))
            {
                fields.Add(new ChangedField(path, null, Show(value), ChangeKind.Added));
            }
        }

        return fields;
    }

    private static Dictionary<string, JsonElement> Flatten(JsonElement? value)
    {
        // Insertion order is kept by Dictionary as long as nothing is removed, which is all this needs.
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (value is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                Walk(element, "", fields);
            }
            else
            {
                fields["(value)"] = element;
            }
        }

        return fields;
    }

    private static void Walk(JsonElement obj, string prefix, Dictionary<string, JsonElement> fields)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var path = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
            if (property.Value.ValueKind == JsonValueKind.Object && property.Value.EnumerateObject().Any())
            {
                Walk(property.Value, path, fields);
            }
            else
            {
                fields[path] = property.Value;
            }
        }
    }

    private static string Show(JsonElement value) => JsonSerializer.Serialize(value, Compact);
}
