using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Witness.Events;

/// <summary>
/// The one canonical byte form of a stored event: the leaf that is hashed into the tenant's Merkle
/// log, the body that is stored, and (with <c>hash</c> appended) the JSON every API, console view
/// and export is made from. Fields are written in a fixed order, absent values are omitted, and
/// <see cref="Read"/> followed by <see cref="Write"/> gives back the same bytes.
/// </summary>
public static class CanonicalEvent
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        // Non-ASCII text stays readable UTF-8 in stored bodies and exports. Nothing writes these bytes
        // into HTML or script: the console and the exports escape for their own medium.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The canonical bytes of an event.</summary>
    public static byte[] Write(AuditEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteObject(w, e);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The digest of what a client sent, without the fields the server adds: two submissions with the same id are "the same body" when these match.</summary>
    public static byte[] ContentDigest(AuditEvent e) =>
        SHA256.HashData(Write(e with { Seq = 0, ReceivedAt = default }));

    private static void WriteObject(Utf8JsonWriter w, AuditEvent e)
    {
        w.WriteStartObject();
        w.WriteString("id", e.Id);
        w.WriteString("tenant", e.Tenant);
        w.WriteNumber("seq", e.Seq);
        w.WriteString("received_at", Rfc3339.Format(e.ReceivedAt));
        w.WriteString("occurred_at", Rfc3339.Format(e.OccurredAt));
        w.WriteString("type", e.Type);
        w.WriteString("action", e.Action);
        WriteOptional(w, "category", e.Category);

        w.WriteStartObject("actor");
        w.WriteString("type", e.Actor.Type);
        WriteOptional(w, "id", e.Actor.Id);
        WriteOptional(w, "name", e.Actor.Name);
        WriteOptional(w, "email", e.Actor.Email);
        WriteOptional(w, "role", e.Actor.Role);
        w.WriteEndObject();

        w.WriteStartArray("targets");
        foreach (var t in e.Targets)
        {
            w.WriteStartObject();
            w.WriteString("type", t.Type);
            w.WriteString("id", t.Id);
            WriteOptional(w, "name", t.Name);
            WriteOptional(w, "url", t.Url);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("outcome", e.Outcome);
        WriteOptional(w, "reason", e.Reason);

        if (e.Context is { } c)
        {
            w.WriteStartObject("context");
            WriteOptional(w, "ip", c.Ip);
            WriteOptional(w, "user_agent", c.UserAgent);
            if (c.Location is { } l)
            {
                w.WriteStartObject("location");
                WriteOptional(w, "country", l.Country);
                WriteOptional(w, "city", l.City);
                w.WriteEndObject();
            }

            WriteOptional(w, "source", c.Source);
            WriteOptional(w, "brand", c.Brand);
            WriteOptional(w, "session_id", c.SessionId);
            WriteOptional(w, "request_id", c.RequestId);
            w.WriteEndObject();
        }

        if (e.Changes is { } ch)
        {
            w.WriteStartObject("changes");
            if (ch.Before is { } before)
            {
                w.WritePropertyName("before");
                CanonicalJson.Write(w, before);
            }

            if (ch.After is { } after)
            {
                w.WritePropertyName("after");
                CanonicalJson.Write(w, after);
            }

            w.WriteEndObject();
        }

        if (e.Metadata is { } metadata)
        {
            w.WritePropertyName("metadata");
            CanonicalJson.Write(w, metadata);
        }

        WriteOptional(w, "description", e.Description);
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>Reads canonical bytes back into an event. Throws <see cref="JsonException"/> when the bytes are not a stored event.</summary>
    public static AuditEvent Read(ReadOnlySpan<byte> canonical) => CanonicalEventReader.Read(canonical, includeFreeForm: true);

    /// <summary>
    /// Reads what search indexes and verification need, leaving out <c>metadata</c> and <c>changes</c>
    /// (faster when millions of events are checked). Throws <see cref="JsonException"/> like <see cref="Read"/>.
    /// </summary>
    public static AuditEvent ReadWithoutFreeForm(ReadOnlySpan<byte> canonical) => CanonicalEventReader.Read(canonical, includeFreeForm: false);

    /// <summary>Reads a stored event from a JSON element with the canonical field names (an extra <c>hash</c> is ignored).</summary>
    public static AuditEvent FromElement(JsonElement r)
    {
        try
        {
            var actor = r.GetProperty("actor");
            var targets = new List<EventTarget>();
            foreach (var t in r.GetProperty("targets").EnumerateArray())
            {
                targets.Add(new EventTarget { Type = Str(t, "type")!, Id = Str(t, "id")!, Name = Str(t, "name"), Url = Str(t, "url") });
            }

            EventContext? context = null;
            if (r.TryGetProperty("context", out var c))
            {
                EventLocation? location = null;
                if (c.TryGetProperty("location", out var l))
                {
                    location = new EventLocation { Country = Str(l, "country"), City = Str(l, "city") };
                }

                context = new EventContext
                {
                    Ip = Str(c, "ip"), UserAgent = Str(c, "user_agent"), Location = location, Source = Str(c, "source"),
                    Brand = Str(c, "brand"), SessionId = Str(c, "session_id"), RequestId = Str(c, "request_id"),
                };
            }

            EventChanges? changes = null;
            if (r.TryGetProperty("changes", out var ch))
            {
                changes = new EventChanges { Before = Obj(ch, "before"), After = Obj(ch, "after") };
            }

            return new AuditEvent
            {
                Id = Str(r, "id")!,
                Tenant = Str(r, "tenant")!,
                Seq = r.GetProperty("seq").GetInt64(),
                ReceivedAt = DateTimeOffset.Parse(Str(r, "received_at")!, System.Globalization.CultureInfo.InvariantCulture),
                OccurredAt = DateTimeOffset.Parse(Str(r, "occurred_at")!, System.Globalization.CultureInfo.InvariantCulture),
                Type = Str(r, "type")!,
                Action = Str(r, "action")!,
                Category = Str(r, "category"),
                Actor = new EventActor { Type = Str(actor, "type")!, Id = Str(actor, "id"), Name = Str(actor, "name"), Email = Str(actor, "email"), Role = Str(actor, "role") },
                Targets = targets,
                Outcome = Str(r, "outcome")!,
                Reason = Str(r, "reason"),
                Context = context,
                Changes = changes,
                Metadata = Obj(r, "metadata"),
                Description = Str(r, "description"),
            };
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new JsonException($"not a stored Witness event: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The API's JSON for a stored event: its canonical bytes with <c>"hash"</c> (hex leaf hash) added as the last member.
    /// </summary>
    public static void WriteWithHash(IBufferWriter<byte> output, ReadOnlySpan<byte> canonical, ReadOnlySpan<byte> leafHash)
    {
        output.Write(canonical[..^1]);
        output.Write(",\"hash\":\""u8);
        var hex = output.GetSpan(64);
        Convert.TryToHexStringLower(leafHash, hex, out var written);
        output.Advance(written);
        output.Write("\"}"u8);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement? Obj(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.Clone() : null;
}
