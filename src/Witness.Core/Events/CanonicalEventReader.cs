using System.Globalization;
using System.Text.Json;

namespace Witness.Events;

/// <summary>
/// Reads the canonical bytes of a stored event in one forward pass (no document tree), for the hot
/// paths: listing, exporting and verifying millions of events. Unknown members are skipped, so it
/// also reads the API form (canonical bytes plus <c>hash</c>).
/// </summary>
internal static class CanonicalEventReader
{
    /// <param name="canonical">The stored bytes.</param>
    /// <param name="includeFreeForm">Whether to keep <c>metadata</c> and <c>changes</c>; the verifier does not need them.</param>
    public static AuditEvent Read(ReadOnlySpan<byte> canonical, bool includeFreeForm)
    {
        var r = new Utf8JsonReader(canonical);
        Expect(ref r, JsonTokenType.StartObject);
        string? id = null, tenant = null, type = null, action = null, category = null, outcome = null, reason = null, description = null;
        string? receivedAt = null, occurredAt = null;
        long seq = 0;
        EventActor? actor = null;
        List<EventTarget>? targets = null;
        EventContext? context = null;
        EventChanges? changes = null;
        JsonElement? metadata = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var name = r.ValueSpan;
            r.Read();
            if (name.SequenceEqual("id"u8)) id = r.GetString();
            else if (name.SequenceEqual("tenant"u8)) tenant = r.GetString();
            else if (name.SequenceEqual("seq"u8)) seq = r.GetInt64();
            else if (name.SequenceEqual("received_at"u8)) receivedAt = r.GetString();
            else if (name.SequenceEqual("occurred_at"u8)) occurredAt = r.GetString();
            else if (name.SequenceEqual("type"u8)) type = r.GetString();
            else if (name.SequenceEqual("action"u8)) action = r.GetString();
            else if (name.SequenceEqual("category"u8)) category = r.GetString();
            else if (name.SequenceEqual("actor"u8)) actor = ReadActor(ref r);
            else if (name.SequenceEqual("targets"u8)) targets = ReadTargets(ref r);
            else if (name.SequenceEqual("outcome"u8)) outcome = r.GetString();
            else if (name.SequenceEqual("reason"u8)) reason = r.GetString();
            else if (name.SequenceEqual("context"u8)) context = ReadContext(ref r);
            else if (name.SequenceEqual("changes"u8) && includeFreeForm) changes = ReadChanges(ref r);
            else if (name.SequenceEqual("metadata"u8) && includeFreeForm) metadata = JsonElement.ParseValue(ref r);
            else if (name.SequenceEqual("description"u8)) description = r.GetString();
            else r.Skip();
        }

        return new AuditEvent
        {
            Id = id ?? throw Missing("id"),
            Tenant = tenant ?? throw Missing("tenant"),
            Seq = seq,
            ReceivedAt = Time(receivedAt ?? throw Missing("received_at")),
            OccurredAt = Time(occurredAt ?? throw Missing("occurred_at")),
            TimeForm = FormOf(receivedAt, occurredAt),
            Type = type ?? throw Missing("type"),
            Action = action ?? throw Missing("action"),
            Category = category,
            Actor = actor ?? throw Missing("actor"),
            Targets = (IReadOnlyList<EventTarget>?)targets ?? throw Missing("targets"),
            Outcome = outcome ?? throw Missing("outcome"),
            Reason = reason,
            Context = context,
            Changes = changes,
            Metadata = metadata,
            Description = description,
        };
    }

    private static EventActor ReadActor(ref Utf8JsonReader r)
    {
        string? type = null, id = null, name = null, email = null, role = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var property = r.ValueSpan;
            r.Read();
            if (property.SequenceEqual("type"u8)) type = r.GetString();
            else if (property.SequenceEqual("id"u8)) id = r.GetString();
            else if (property.SequenceEqual("name"u8)) name = r.GetString();
            else if (property.SequenceEqual("email"u8)) email = r.GetString();
            else if (property.SequenceEqual("role"u8)) role = r.GetString();
            else r.Skip();
        }

        return new EventActor { Type = type ?? throw Missing("actor.type"), Id = id, Name = name, Email = email, Role = role };
    }

    private static List<EventTarget> ReadTargets(ref Utf8JsonReader r)
    {
        var targets = new List<EventTarget>();
        while (Next(ref r) == JsonTokenType.StartObject)
        {
            string? type = null, id = null, name = null, url = null;
            while (Next(ref r) == JsonTokenType.PropertyName)
            {
                var property = r.ValueSpan;
                r.Read();
                if (property.SequenceEqual("type"u8)) type = r.GetString();
                else if (property.SequenceEqual("id"u8)) id = r.GetString();
                else if (property.SequenceEqual("name"u8)) name = r.GetString();
                else if (property.SequenceEqual("url"u8)) url = r.GetString();
                else r.Skip();
            }

            targets.Add(new EventTarget { Type = type ?? throw Missing("targets[].type"), Id = id ?? throw Missing("targets[].id"), Name = name, Url = url });
        }

        return targets;
    }

    private static EventContext ReadContext(ref Utf8JsonReader r)
    {
        string? ip = null, agent = null, source = null, brand = null, session = null, request = null;
        EventLocation? location = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var property = r.ValueSpan;
            r.Read();
            if (property.SequenceEqual("ip"u8)) ip = r.GetString();
            else if (property.SequenceEqual("user_agent"u8)) agent = r.GetString();
            else if (property.SequenceEqual("source"u8)) source = r.GetString();
            else if (property.SequenceEqual("brand"u8)) brand = r.GetString();
            else if (property.SequenceEqual("session_id"u8)) session = r.GetString();
            else if (property.SequenceEqual("request_id"u8)) request = r.GetString();
            else if (property.SequenceEqual("location"u8))
            {
                string? country = null, city = null;
                while (Next(ref r) == JsonTokenType.PropertyName)
                {
                    var inner = r.ValueSpan;
                    r.Read();
                    if (inner.SequenceEqual("country"u8)) country = r.GetString();
                    else if (inner.SequenceEqual("city"u8)) city = r.GetString();
                    else r.Skip();
                }

                location = new EventLocation { Country = country, City = city };
            }
            else r.Skip();
        }

        return new EventContext { Ip = ip, UserAgent = agent, Location = location, Source = source, Brand = brand, SessionId = session, RequestId = request };
    }

    private static EventChanges ReadChanges(ref Utf8JsonReader r)
    {
        JsonElement? before = null, after = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var property = r.ValueSpan;
            r.Read();
            if (property.SequenceEqual("before"u8)) before = r.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref r);
            else if (property.SequenceEqual("after"u8)) after = r.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref r);
            else r.Skip();
        }

        return new EventChanges { Before = before, After = after };
    }

    private static JsonTokenType Next(ref Utf8JsonReader r) =>
        r.Read() ? r.TokenType : throw new JsonException("the event ends early");

    private static void Expect(ref Utf8JsonReader r, JsonTokenType token)
    {
        if (Next(ref r) != token)
        {
            throw new JsonException($"expected {token}, found {r.TokenType}");
        }
    }

    /// <summary>
    /// The form the bytes wrote their times in: <see cref="TimeForm.Fixed"/> when both have six fraction digits,
    /// else the first form. A time whose six digits end in no zero reads the same in both, so an event of the
    /// first form with two such times is written back alike in either.
    /// </summary>
    public static TimeForm FormOf(string receivedAt, string occurredAt) =>
        Rfc3339.FormOf(receivedAt.Length) == TimeForm.Fixed && Rfc3339.FormOf(occurredAt.Length) == TimeForm.Fixed ? TimeForm.Fixed : TimeForm.Trimmed;

    /// <summary>Parses the time forms Witness writes (<see cref="TimeForm"/>: 1 to 6 fraction digits, or none), exactly.</summary>
    private static DateTimeOffset Time(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static JsonException Missing(string field) => new($"not a stored Witness event: '{field}' is missing");
}
