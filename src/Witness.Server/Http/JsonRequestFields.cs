using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Witness.Events;

namespace Witness.Server.Http;

/// <summary>
/// Reads a JSON object's fields into a typed request without judging them: a value of the wrong type
/// is noted in <see cref="WrongType"/> and a field the request does not have in <see cref="Unknown"/>,
/// so the service that checks the request names every wrong field with its own rule.
/// </summary>
/// <param name="root">The object sent.</param>
/// <param name="fields">The fields the request has.</param>
/// <param name="nullIsLeftOut">Whether a null string or number counts as left out (else as the wrong type); a null true/false is always wrong.</param>
internal sealed class JsonRequestFields(JsonElement root, IReadOnlyCollection<string> fields, bool nullIsLeftOut)
{
    public HashSet<string> WrongType { get; } = new(StringComparer.Ordinal);

    /// <summary>The fields sent that the request does not have, in the order sent.</summary>
    public List<string> Unknown => [.. root.EnumerateObject().Select(p => p.Name).Where(name => !fields.Contains(name))];

    public string? String(string field)
    {
        if (Find(field, nullIsLeftOut) is not { } value)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        WrongType.Add(field);
        return null;
    }

    public int? Int32(string field)
    {
        if (Find(field, nullIsLeftOut) is not { } value)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        WrongType.Add(field);
        return null;
    }

    public bool? Boolean(string field)
    {
        if (Find(field, nullIsLeftOut: false) is not { } value)
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        WrongType.Add(field);
        return null;
    }

    /// <summary>An array's strings, a non-string item as null; null when the field is left out or not an array.</summary>
    public List<string?>? Strings(string field) =>
        Find(field, nullIsLeftOut) is { ValueKind: JsonValueKind.Array } value
            ? [.. value.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? item.GetString() : null)]
            : null;

    private JsonElement? Find(string field, bool nullIsLeftOut) =>
        root.TryGetProperty(field, out var value) && !(nullIsLeftOut && value.ValueKind == JsonValueKind.Null) ? value : null;

    /// <summary>
    /// The request body as one JSON object read by <paramref name="read"/>, or the answer for a body that
    /// is not one: 400 naming <c>body</c>, or the path of text that is not Unicode.
    /// </summary>
    public static async Task<(T? Request, IResult? Refusal)> ReadBodyAsync<T>(HttpContext context, Func<JsonElement, T> read)
        where T : class
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return (null, Problems.Invalid("body", $"not valid JSON: {ex.Message}"));
        }

        using (doc)
        {
            if (JsonUnicode.FindInvalidText(doc.RootElement) is { } notText)
            {
                return (null, Problems.Invalid(notText, JsonUnicode.Message));
            }

            return doc.RootElement.ValueKind != JsonValueKind.Object
                ? (null, Problems.Invalid("body", "expected a JSON object"))
                : (read(doc.RootElement), null);
        }
    }
}
