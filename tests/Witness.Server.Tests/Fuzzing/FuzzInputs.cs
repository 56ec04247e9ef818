using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Witness.Server.Tests.Fuzzing;

/// <summary>
/// Generators of what a hostile or careless client sends: text with lone surrogates, controls and
/// newlines; JSON shaped like events, with the fields Witness knows and some it does not; bodies
/// with bytes flipped, cut or added; search queries and return addresses built from the pieces
/// their parsers look for.
/// </summary>
internal static class FuzzInputs
{
    private static readonly string[] EventFields =
        ["id", "tenant", "type", "action", "category", "occurred_at", "actor", "targets", "outcome", "reason", "context", "changes", "metadata", "description"];

    private static readonly string[] InnerFields =
        ["type", "id", "name", "email", "role", "url", "ip", "user_agent", "location", "country", "city", "source", "brand", "session_id", "request_id", "before", "after"];

    private static readonly string[] Samples =
    [
        "", "a", "x.y", "inbox.create", "acme", "user@example.com", "Ada Admin", "activity", "access", "success", "failure", "user", "system",
        "2023-06-22T15:06:00Z", "2999-01-01T00:00:00Z", "2023-06-22T15:06:00", "203.0.113.7", "::1", "fe80::1%eth0", "::ffff:10.0.0.1", "10.0.0.0/8",
        "https://app.example.com/x", "javascript:alert(1)", "café", "\u3000", "user.login\n", "demo\n", "a\u0000b", "\ud800", "\udc00", "\ud83d\ude00",
        "<script>alert(1)</script>", "{{actor.name}}", "\\", "\"", new string('9', 300), new string('a', 2049),
    ];

    /// <summary>Text: known values, arbitrary UTF-16 (lone surrogates included), and both glued together.</summary>
    public static Gen<string> Text { get; } = Gen.Frequency(
        (4, Gen.Elements(Samples)),
        (3, Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 0xFFFF).Select(c => (char)c), n)).Select(chars => new string(chars))),
        (1, Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Choose(0x20, 0x7E).Select(c => (char)c), n)).Select(chars => new string(chars))),
        (1, Gen.Zip(Gen.Elements(Samples), Gen.Elements(Samples), (a, b) => a + b)));

    /// <summary>A JSON string literal of <paramref name="text"/>: surrogates, quotes, backslashes and controls escaped, the rest raw UTF-8.</summary>
    public static string Quote(string text)
    {
        var json = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is '"' or '\\' || c < 0x20 || char.IsSurrogate(c))
            {
                json.Append(c == '"' ? "\\\"" : c == '\\' ? "\\\\" : $"\\u{(int)c:x4}");
            }
            else
            {
                json.Append(c);
            }
        }

        return json.Append('"').ToString();
    }

    private static Gen<string> Scalar { get; } = Gen.Frequency(
        (5, Text.Select(Quote)),
        (1, Gen.Elements("null", "true", "false", "0", "-0", "1", "-1.5e3", "1e999", "123456789012345678901234567890", new string('7', 300))),
        (1, Gen.Choose(int.MinValue, int.MaxValue).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>Any JSON value, nested at most <paramref name="depth"/> deep.</summary>
    public static Gen<string> Value(int depth) =>
        depth <= 0 ? Scalar : Gen.Frequency((4, Scalar), (1, Object(depth - 1, InnerFields)), (1, Array(Value(depth - 1))));

    private static Gen<string> Array(Gen<string> items) =>
        Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(items, n)).Select(values => "[" + string.Join(",", values) + "]");

    private static Gen<string> Key(string[] known) => Gen.Frequency((6, Gen.Elements(known)), (1, Text));

    /// <summary>An object whose keys are mostly <paramref name="known"/> ones, with any values.</summary>
    public static Gen<string> Object(int depth, string[] known) =>
        Gen.Choose(0, 6)
            .SelectMany(n => Gen.ArrayOf(Gen.Zip(Key(known), Value(depth), (k, v) => Quote(k) + ":" + v), n))
            .Select(members => "{" + string.Join(",", members) + "}");

    /// <summary>An event-like object: mostly valid actions and the event's own fields, with hostile values mixed in.</summary>
    public static Gen<string> Event { get; } =
        Gen.Zip(
            Gen.Frequency((5, Gen.Elements("x.y", "inbox.create", "user.login").Select(Quote)), (1, Scalar)),
            Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Gen.Elements(EventFields).SelectMany(k => FieldValue(k).Select(v => Quote(k) + ":" + v)), n)),
            (action, members) => "{\"action\":" + action + (members.Length == 0 ? "" : "," + string.Join(",", members)) + "}");

    private static Gen<string> FieldValue(string field) => field switch
    {
        "actor" or "context" or "changes" or "metadata" => Gen.Frequency((4, Object(2, InnerFields)), (1, Value(1))),
        "targets" => Gen.Frequency((4, Array(Object(1, InnerFields))), (1, Value(1))),
        "tenant" => Gen.Frequency((3, Gen.Constant("\"acme\"")), (1, Scalar)),
        "id" => Gen.Frequency((3, Gen.Choose(0, 1_000_000).Select(n => $"\"fz-{n}\"")), (1, Scalar)),
        _ => Value(1),
    };

    /// <summary>Up to four edits: (kind, where as a fraction of the length, byte).</summary>
    private static Gen<(int Kind, double At, byte Byte)[]> Mutations { get; } =
        Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(
            Gen.Zip(
                Gen.Choose(0, 3),
                Gen.Zip(Gen.Choose(0, 1000), Gen.Elements<byte>(0x00, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x80, 0xC3, 0xED, 0xF0, 0xFE, 0xFF), (at, b) => (At: at / 1000.0, Byte: b)),
                (kind, edit) => (kind, edit.At, edit.Byte)),
            n));

    /// <summary>
    /// A request body for <c>POST /v1/events</c>: an event, a batch, an event with bytes changed or
    /// data after it, or arbitrary bytes.
    /// </summary>
    public static Gen<byte[]> EventBody { get; } = Gen.Frequency(
        (4, Event.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Event, n)).Select(events => Encoding.UTF8.GetBytes("{\"events\":[" + string.Join(",", events) + "]}"))),
        (2, Gen.Zip(Event.Select(Encoding.UTF8.GetBytes), Mutations, Mutate)),
        (1, Gen.Zip(Event, Gen.Elements(" ", "\n", "{}", "{\"action\":\"x.y\"}", " garbage <html>", "\0", ",", "]", "\"\""), (e, tail) => Encoding.UTF8.GetBytes(e + tail))),
        (1, Gen.Choose(0, 64).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n))));

    /// <summary>A JSON body for the other endpoints: an object with <paramref name="known"/> keys, sometimes with bytes changed.</summary>
    public static Gen<byte[]> ObjectBody(params string[] known) => Gen.Frequency(
        (4, Object(2, known).Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Zip(Object(2, known).Select(Encoding.UTF8.GetBytes), Mutations, Mutate)));

    private static byte[] Mutate(byte[] bytes, (int Kind, double At, byte Byte)[] edits)
    {
        var list = new List<byte>(bytes);
        foreach (var (kind, at, b) in edits)
        {
            var i = (int)(at * list.Count);
            switch (kind)
            {
                case 0:
                    list.Insert(i, b);
                    break;
                case 1 when i < list.Count:
                    list[i] = b;
                    break;
                case 2 when i < list.Count:
                    list.RemoveAt(i);
                    break;
                default:
                    list.RemoveRange(i, list.Count - i);
                    break;
            }
        }

        return [.. list];
    }

    private static readonly string[] QueryPieces =
    [
        "actor:", "action:", "category:", "type:", "outcome:", "target:", "ip:", "created:", "unknown:", "-", "\"", "*", ".*", "..", ">=", "<=", ">", "<", ":",
        " ", "  ", "inbox", "inbox.*", "user.login", "user@example.com", "2023-06-01", "2023-13-45", "2023-06-01T10:00:00Z", "203.0.113.0/24", "::1", "fe80::1%eth0",
        "/129", "/33", "access", "failure", "activity", "OR", "AND", "(", ")", "\u3000", "é", "\ud800", "\n", "\t", "9999-12-31", "0001-01-01", "+01:00", "inbox:24725",
    ];

    /// <summary>A search query: pieces of the language in any order, or arbitrary text.</summary>
    public static Gen<string> Query { get; } = Gen.Frequency(
        (5, Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Frequency((6, Gen.Elements(QueryPieces)), (1, Text)), n)).Select(string.Concat)),
        (1, Text));

    private static readonly string[] ReturnPieces =
    [
        "/", "//", "\\", "/\\", "console", "?q=", "&", "=", "café", "\u3000", "%2F", "%5C", "%2f%2f", "http:", "https://", "evil.example", "@", "#", ";",
        "\t", "\r\n", "\u0085", "\u2028", "\ud800", "..", "%", "%E3%80", "%ff", " ", "javascript:alert(1)", "embed", "sign-in?return=",
    ];

    /// <summary>
    /// The <c>return</c> query parameter as it goes on the wire: text percent-encoded as UTF-8, or raw
    /// pieces left as they are (stray and incomplete percent escapes included).
    /// </summary>
    public static Gen<string> ReturnParameter { get; } = Gen.Frequency(
        (4, Gen.Choose(1, 8).SelectMany(n => Gen.ArrayOf(Gen.Frequency((6, Gen.Elements(ReturnPieces)), (1, Text)), n)).Select(p => Percent(string.Concat(p)))),
        (1, Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(Gen.Elements("/", "%2F", "%5C", "%E3%80", "%ff", "%", "%C0%AF", "evil.example", "console", "%0A", "%00", "%u3000"), n)).Select(string.Concat)),
        (1, Text.Select(Percent)));

    /// <summary>Percent-encodes every byte of the UTF-8 text except unreserved ASCII (a lone surrogate goes as U+FFFD).</summary>
    public static string Percent(string text)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
