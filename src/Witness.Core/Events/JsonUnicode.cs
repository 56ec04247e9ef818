using System.Text.Json;
using System.Text.Unicode;

namespace Witness.Events;

/// <summary>
/// Finds text in a JSON document that is not Unicode: bytes inside a string or member name that are
/// not UTF-8, or an escape of a lone surrogate (<c>"\ud800"</c>). The JSON reader accepts both, and
/// they only fail later, when the string is read, so a parser checks the whole text first and can
/// name the field instead of failing halfway.
/// </summary>
public static class JsonUnicode
{
    /// <summary>What a field holding such text is told.</summary>
    public const string Message = "is not valid Unicode text (invalid UTF-8, or an escaped lone surrogate such as \\ud800)";

    /// <summary>
    /// The path of the first string or member name in <paramref name="json"/> (one complete JSON
    /// value) that is not Unicode, written as the event parser names fields (<c>reason</c>,
    /// <c>events[0].targets[1].name</c>); a bad member name is reported by its object's path.
    /// Null when every text is valid, and also when <paramref name="json"/> is not JSON at all
    /// (the caller's parser reports that).
    /// </summary>
    /// <param name="json">The raw UTF-8 JSON value.</param>
    /// <param name="path">The path of the value itself; empty for a request body.</param>
    public static string? FindInvalidText(ReadOnlySpan<byte> json, string path = "")
    {
        // Both checks are vectorized: valid text, the usual case, costs two passes over the bytes.
        if (Utf8.IsValid(json) && !MayEscapeSurrogate(json))
        {
            return null;
        }

        try
        {
            return Walk(json, path);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <inheritdoc cref="FindInvalidText(ReadOnlySpan{byte}, string)"/>
    /// <param name="value">A parsed value.</param>
    /// <param name="path">The path of the value itself; empty for a request body.</param>
    public static string? FindInvalidText(JsonElement value, string path = "") =>
        FindInvalidText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value), path);

    private static bool MayEscapeSurrogate(ReadOnlySpan<byte> json)
    {
        var rest = json;
        while (true)
        {
            var at = rest.IndexOf("\\u"u8);
            if (at < 0 || at + 3 >= rest.Length)
            {
                return false;
            }

            if (rest[at + 2] is (byte)'d' or (byte)'D' && rest[at + 3] is >= (byte)'8' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F')
            {
                return true;
            }

            rest = rest[(at + 2)..];
        }
    }

    private static string? Walk(ReadOnlySpan<byte> json, string path)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });

        // One entry per open container: its path, and for an array the index of the next item.
        var containers = new Stack<(string Path, bool IsArray, int Next)>();
        string? member = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    containers.Push((ValuePath(), reader.TokenType == JsonTokenType.StartArray, 0));
                    member = null;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    containers.Pop();
                    member = null;
                    break;
                case JsonTokenType.PropertyName:
                    if (!IsValid(ref reader))
                    {
                        return containers.Peek().Path is "" ? "body" : containers.Peek().Path;
                    }

                    member = reader.GetString();
                    break;
                case JsonTokenType.String:
                    var at = ValuePath();
                    if (!IsValid(ref reader))
                    {
                        return at is "" ? "body" : at;
                    }

                    break;
                default:
                    ValuePath();
                    break;
            }
        }

        return null;

        // The path of the value the reader is at; moves an array on to its next index.
        string ValuePath()
        {
            if (containers.Count == 0)
            {
                return path;
            }

            var (parent, isArray, next) = containers.Pop();
            containers.Push((parent, isArray, isArray ? next + 1 : next));
            return isArray ? $"{parent}[{next}]" : parent.Length == 0 ? member! : $"{parent}.{member}";
        }
    }

    private static bool IsValid(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Utf8.IsValid(reader.ValueSpan);
        }

        try
        {
            reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
