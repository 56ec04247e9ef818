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

    /// <summary>A string as the canonical form writes it in a body: a JSON string token, quotes included.</summary>
    internal static byte[] StringToken(string value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStringValue(value);
        }

        return buffer.WrittenSpan.ToArray();
    }

    // The writer and its buffer are reused per thread: every ingested event is written here at least once.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private const int MaxReusedBuffer = 256 * 1024;

    /// <summary>The canonical bytes of an event, its times in its <see cref="AuditEvent.TimeForm"/>.</summary>
    public static byte[] Write(AuditEvent e) => WriteIn(e, e.TimeForm);

    /// <summary>
    /// The bytes the content digest is taken of (<see cref="ContentDigest"/>) for an event whose seq is 0 and
    /// received_at open, as the parser has it: its times in <see cref="TimeForm.Trimmed"/>. They are also the
    /// event's canonical parts (<see cref="CanonicalParts.FromUnsequenced"/>), which write the times again in its own form.
    /// </summary>
    internal static byte[] WriteUnsequenced(AuditEvent e) => WriteIn(e, TimeForm.Trimmed);

    private static byte[] WriteIn(AuditEvent e, TimeForm form)
    {
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(1024);
        var w = t_writer ?? new Utf8JsonWriter(buffer, WriterOptions);
        t_buffer = null;
        t_writer = null;
        buffer.ResetWrittenCount();
        w.Reset(buffer);
        WriteObject(w, e, form);
        w.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity <= MaxReusedBuffer)
        {
            t_buffer = buffer;
            t_writer = w;
        }

        return bytes;
    }

    /// <summary>
    /// The digest of what a client sent, without the fields the server adds: two submissions with the same id are
    /// "the same body" when these match. Its times are always written in <see cref="TimeForm.Trimmed"/>, whatever the
    /// event's own form, so the digests stored before the fixed form keep judging retries and verifying.
    /// </summary>
    public static byte[] ContentDigest(AuditEvent e) =>
        SHA256.HashData(WriteIn(e with { Seq = 0, ReceivedAt = default }, TimeForm.Trimmed));

    /// <summary>Member names encoded once: the same bytes as writing the names as strings.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id", WriterOptions.Encoder);
        public static readonly JsonEncodedText Tenant = JsonEncodedText.Encode("tenant", WriterOptions.Encoder);
        public static readonly JsonEncodedText Seq = JsonEncodedText.Encode("seq", WriterOptions.Encoder);
        public static readonly JsonEncodedText ReceivedAt = JsonEncodedText.Encode("received_at", WriterOptions.Encoder);
        public static readonly JsonEncodedText OccurredAt = JsonEncodedText.Encode("occurred_at", WriterOptions.Encoder);
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type", WriterOptions.Encoder);
        public static readonly JsonEncodedText Action = JsonEncodedText.Encode("action", WriterOptions.Encoder);
        public static readonly JsonEncodedText Category = JsonEncodedText.Encode("category", WriterOptions.Encoder);
        public static readonly JsonEncodedText Actor = JsonEncodedText.Encode("actor", WriterOptions.Encoder);
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name", WriterOptions.Encoder);
        public static readonly JsonEncodedText Email = JsonEncodedText.Encode("email", WriterOptions.Encoder);
        public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role", WriterOptions.Encoder);
        public static readonly JsonEncodedText Targets = JsonEncodedText.Encode("targets", WriterOptions.Encoder);
        public static readonly JsonEncodedText Url = JsonEncodedText.Encode("url", WriterOptions.Encoder);
        public static readonly JsonEncodedText Outcome = JsonEncodedText.Encode("outcome", WriterOptions.Encoder);
        public static readonly JsonEncodedText Reason = JsonEncodedText.Encode("reason", WriterOptions.Encoder);
        public static readonly JsonEncodedText Context = JsonEncodedText.Encode("context", WriterOptions.Encoder);
        public static readonly JsonEncodedText Ip = JsonEncodedText.Encode("ip", WriterOptions.Encoder);
        public static readonly JsonEncodedText UserAgent = JsonEncodedText.Encode("user_agent", WriterOptions.Encoder);
        public static readonly JsonEncodedText Location = JsonEncodedText.Encode("location", WriterOptions.Encoder);
        public static readonly JsonEncodedText Country = JsonEncodedText.Encode("country", WriterOptions.Encoder);
        public static readonly JsonEncodedText City = JsonEncodedText.Encode("city", WriterOptions.Encoder);
        public static readonly JsonEncodedText Source = JsonEncodedText.Encode("source", WriterOptions.Encoder);
        public static readonly JsonEncodedText Brand = JsonEncodedText.Encode("brand", WriterOptions.Encoder);
        public static readonly JsonEncodedText SessionId = JsonEncodedText.Encode("session_id", WriterOptions.Encoder);
        public static readonly JsonEncodedText RequestId = JsonEncodedText.Encode("request_id", WriterOptions.Encoder);
        public static readonly JsonEncodedText Changes = JsonEncodedText.Encode("changes", WriterOptions.Encoder);
        public static readonly JsonEncodedText Before = JsonEncodedText.Encode("before", WriterOptions.Encoder);
        public static readonly JsonEncodedText After = JsonEncodedText.Encode("after", WriterOptions.Encoder);
        public static readonly JsonEncodedText Metadata = JsonEncodedText.Encode("metadata", WriterOptions.Encoder);
        public static readonly JsonEncodedText Description = JsonEncodedText.Encode("description", WriterOptions.Encoder);
    }

    private static void WriteObject(Utf8JsonWriter w, AuditEvent e, TimeForm form)
    {
        w.WriteStartObject();
        w.WriteString(Names.Id, e.Id);
        w.WriteString(Names.Tenant, e.Tenant);
        w.WriteNumber(Names.Seq, e.Seq);
        WriteTime(w, Names.ReceivedAt, e.ReceivedAt, form);
        WriteTime(w, Names.OccurredAt, e.OccurredAt, form);
        w.WriteString(Names.Type, e.Type);
        w.WriteString(Names.Action, e.Action);
        WriteOptional(w, Names.Category, e.Category);

        w.WriteStartObject(Names.Actor);
        w.WriteString(Names.Type, e.Actor.Type);
        WriteOptional(w, Names.Id, e.Actor.Id);
        WriteOptional(w, Names.Name, e.Actor.Name);
        WriteOptional(w, Names.Email, e.Actor.Email);
        WriteOptional(w, Names.Role, e.Actor.Role);
        w.WriteEndObject();

        w.WriteStartArray(Names.Targets);
        foreach (var t in e.Targets)
        {
            w.WriteStartObject();
            w.WriteString(Names.Type, t.Type);
            w.WriteString(Names.Id, t.Id);
            WriteOptional(w, Names.Name, t.Name);
            WriteOptional(w, Names.Url, t.Url);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString(Names.Outcome, e.Outcome);
        WriteOptional(w, Names.Reason, e.Reason);

        if (e.Context is { } c)
        {
            w.WriteStartObject(Names.Context);
            WriteOptional(w, Names.Ip, c.Ip);
            WriteOptional(w, Names.UserAgent, c.UserAgent);
            if (c.Location is { } l)
            {
                w.WriteStartObject(Names.Location);
                WriteOptional(w, Names.Country, l.Country);
                WriteOptional(w, Names.City, l.City);
                w.WriteEndObject();
            }

            WriteOptional(w, Names.Source, c.Source);
            WriteOptional(w, Names.Brand, c.Brand);
            WriteOptional(w, Names.SessionId, c.SessionId);
            WriteOptional(w, Names.RequestId, c.RequestId);
            w.WriteEndObject();
        }

        if (e.Changes is { } ch)
        {
            w.WriteStartObject(Names.Changes);
            if (ch.Before is { } before)
            {
                w.WritePropertyName(Names.Before);
                CanonicalJson.Write(w, before);
            }

            if (ch.After is { } after)
            {
                w.WritePropertyName(Names.After);
                CanonicalJson.Write(w, after);
            }

            w.WriteEndObject();
        }

        if (e.Metadata is { } metadata)
        {
            w.WritePropertyName(Names.Metadata);
            CanonicalJson.Write(w, metadata);
        }

        WriteOptional(w, Names.Description, e.Description);
        w.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter w, JsonEncodedText name, DateTimeOffset time, TimeForm form)
    {
        Span<byte> text = stackalloc byte[Rfc3339.MaxFormattedLength];
        w.WriteString(name, text[..Rfc3339.FormatUtf8(time, form, text)]);
    }

    private static void WriteOptional(Utf8JsonWriter w, JsonEncodedText name, string? value)
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

            var receivedAt = Str(r, "received_at")!;
            var occurredAt = Str(r, "occurred_at")!;
            return new AuditEvent
            {
                Id = Str(r, "id")!,
                Tenant = Str(r, "tenant")!,
                Seq = r.GetProperty("seq").GetInt64(),
                ReceivedAt = DateTimeOffset.Parse(receivedAt, System.Globalization.CultureInfo.InvariantCulture),
                OccurredAt = DateTimeOffset.Parse(occurredAt, System.Globalization.CultureInfo.InvariantCulture),
                TimeForm = CanonicalEventReader.FormOf(receivedAt, occurredAt),
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

    /// <summary>
    /// The NDJSON export's line for a stored event: as <see cref="WriteWithHash(IBufferWriter{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>,
    /// with the event's personal record (<see cref="PersonalValues"/>, base64) as a last member <c>"personal"</c> when it has one,
    /// so that the leaf can be recomputed offline.
    /// </summary>
    public static void WriteWithHash(IBufferWriter<byte> output, ReadOnlySpan<byte> canonical, ReadOnlySpan<byte> leafHash, byte[]? personal)
    {
        if (personal is null)
        {
            WriteWithHash(output, canonical, leafHash);
            return;
        }

        output.Write(canonical[..^1]);
        output.Write(",\"hash\":\""u8);
        var hex = output.GetSpan(64);
        Convert.TryToHexStringLower(leafHash, hex, out var written);
        output.Advance(written);
        output.Write("\",\"personal\":\""u8);
        output.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(personal)));
        output.Write("\"}"u8);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement? Obj(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.Clone() : null;
}
