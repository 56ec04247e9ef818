using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Witness.Events;

/// <summary>
/// Turns submitted JSON into normalized <see cref="AuditEvent"/>s, checking every field and limit of
/// SPEC §2. Every problem is reported with the JSON path of its field; unknown fields are rejected
/// rather than silently dropped, so nothing a client sends is lost without it knowing.
/// </summary>
public sealed partial class EventParser(TimeProvider clock)
{
    [GeneratedRegex(@"^[a-z0-9_.:-]{1,128}\z")]
    private static partial Regex ActionPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}\z")]
    private static partial Regex TenantPattern();

    private static readonly KnownFields EventFields =
        new("id", "tenant", "type", "action", "category", "occurred_at", "actor", "targets", "outcome", "reason", "context", "changes", "metadata", "description");
    private static readonly KnownFields ActorFields = new("type", "id", "name", "email", "role");
    private static readonly KnownFields TargetFields = new("type", "id", "name", "url");
    private static readonly KnownFields ContextFields = new("ip", "user_agent", "location", "source", "brand", "session_id", "request_id");
    private static readonly KnownFields LocationFields = new("country", "city");
    private static readonly KnownFields ChangesFields = new("before", "after");

    public static bool IsValidTenant(string? tenant) => tenant is not null && TenantPattern().IsMatch(tenant);

    public static bool IsValidAction(string? action) => action is not null && ActionPattern().IsMatch(action);

    /// <summary>
    /// Parses a request body: one event object, or <c>{"events":[…]}</c>. All-or-nothing: throws
    /// <see cref="EventValidationException"/> with every problem found when any event is invalid.
    /// </summary>
    /// <param name="body">The raw request body.</param>
    /// <param name="boundTenant">The tenant the API key is bound to, or null for a global key.</param>
    public IReadOnlyList<SubmittedEvent> ParseRequest(ReadOnlySpan<byte> body, string? boundTenant) => ParseRequest(body, boundTenant, out _);

    /// <inheritdoc cref="ParseRequest(ReadOnlySpan{byte}, string?)"/>
    /// <param name="body">The raw request body.</param>
    /// <param name="boundTenant">The tenant the API key is bound to, or null for a global key.</param>
    /// <param name="isBatch">Whether the body was a batch <c>{"events":[…]}</c> rather than one event.</param>
    public IReadOnlyList<SubmittedEvent> ParseRequest(ReadOnlySpan<byte> body, string? boundTenant, out bool isBatch)
    {
        isBatch = false;
        if (body.Length > EventLimits.MaxBatchBytes)
        {
            throw Invalid("body", $"the request is {body.Length} bytes; a batch may be at most 8 MiB ({EventLimits.MaxBatchBytes} bytes)");
        }

        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            doc = JsonDocument.ParseValue(ref reader);
            try
            {
                // Anything but whitespace after the value (a second object, stray text) is an error, not
                // something to drop: the reader throws on it.
                reader.Read();
            }
            catch
            {
                doc.Dispose();
                throw;
            }
        }
        catch (JsonException ex)
        {
            throw Invalid("body", $"not valid JSON: {ex.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("body", "expected a JSON object: one event, or {\"events\":[…]}");
            }

            var errors = new List<ValidationError>();
            var events = new List<SubmittedEvent>();
            var now = clock.GetUtcNow();
            if (root.TryGetProperty("events", out var batch) && !root.TryGetProperty("action", out _))
            {
                isBatch = true;
                foreach (var property in root.EnumerateObject())
                {
                    if (property.Name != "events")
                    {
                        errors.Add(new(property.Name, "unknown field; a batch is {\"events\":[…]}"));
                    }
                }

                if (batch.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid("events", "must be an array of events");
                }

                var count = batch.GetArrayLength();
                if (count == 0)
                {
                    throw Invalid("events", "must hold at least one event");
                }

                if (count > EventLimits.MaxBatchEvents)
                {
                    throw Invalid("events", $"holds {count} events; a batch may hold at most {EventLimits.MaxBatchEvents}");
                }

                var index = 0;
                foreach (var element in batch.EnumerateArray())
                {
                    var parsed = ParseEvent(element, $"events[{index}]", boundTenant, now, errors);
                    if (parsed is not null)
                    {
                        events.Add(parsed);
                    }

                    index++;
                }
            }
            else
            {
                var parsed = ParseEvent(root, "", boundTenant, now, errors);
                if (parsed is not null)
                {
                    events.Add(parsed);
                }
            }

            if (errors.Count > 0)
            {
                throw new EventValidationException(errors);
            }

            return events;
        }
    }

    /// <summary>Parses one event element; returns null and adds to <paramref name="errors"/> when it is invalid.</summary>
    public SubmittedEvent? ParseEvent(JsonElement element, string path, string? boundTenant, DateTimeOffset now, List<ValidationError> errors)
    {
        var before = errors.Count;
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(Name(path, "") is "" ? "body" : path, "an event must be a JSON object"));
            return null;
        }

        var size = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element).Length;
        if (size > EventLimits.MaxEventBytes)
        {
            errors.Add(new(Name(path, "") is "" ? "body" : path, $"the event is {size} bytes; an event may be at most 64 KiB ({EventLimits.MaxEventBytes} bytes)"));
            return null;
        }

        if (JsonUnicode.FindInvalidText(element, path) is { } notText)
        {
            errors.Add(new(notText, JsonUnicode.Message));
            return null;
        }

        var fields = ObjectFields.Read(element, path, EventFields, errors);

        var id = OptionalString(fields, path, "id", EventLimits.MaxIdLength, errors);
        if (id is not null && (id.Length == 0 || id.Any(char.IsControl)))
        {
            errors.Add(new(Name(path, "id"), "must be 1–128 characters without control characters"));
        }

        var tenant = OptionalString(fields, path, "tenant", EventLimits.MaxTenantLength, errors);
        if (tenant is null)
        {
            tenant = boundTenant;
            if (tenant is null && !fields.TryGetProperty("tenant", out _))
            {
                errors.Add(new(Name(path, "tenant"), "is required unless the API key is bound to a tenant"));
            }
        }
        else if (!TenantPattern().IsMatch(tenant))
        {
            errors.Add(new(Name(path, "tenant"), "must be 1–64 characters of A-Z a-z 0-9 . _ -"));
        }
        else if (boundTenant is not null && tenant != boundTenant)
        {
            errors.Add(new(Name(path, "tenant"), $"this API key is bound to tenant '{boundTenant}' and cannot write to '{tenant}'"));
        }

        var action = OptionalString(fields, path, "action", EventLimits.MaxActionLength, errors);
        if (action is null)
        {
            if (!fields.TryGetProperty("action", out var a) || a.ValueKind == JsonValueKind.Null)
            {
                errors.Add(new(Name(path, "action"), "is required"));
            }
        }
        else if (!ActionPattern().IsMatch(action))
        {
            errors.Add(new(Name(path, "action"), "must be 1–128 characters of a-z 0-9 _ . : -"));
        }

        var type = OneOf(fields, path, "type", LogTypes.All, errors);
        var category = OptionalString(fields, path, "category", EventLimits.MaxShortText, errors);
        var occurredAt = Time(fields, path, "occurred_at", now, errors);
        var actor = ParseActor(fields, path, errors);
        var targets = ParseTargets(fields, path, errors);
        var outcome = OneOf(fields, path, "outcome", Outcomes.All, errors) ?? Outcomes.Success;
        var reason = OptionalString(fields, path, "reason", EventLimits.MaxLongText, errors);
        var context = ParseContext(fields, path, errors);
        var changes = ParseChanges(fields, path, errors);
        var metadata = OptionalObject(fields, path, "metadata", errors);
        var description = OptionalString(fields, path, "description", EventLimits.MaxLongText, errors);

        if (errors.Count > before)
        {
            return null;
        }

        var parsed = new AuditEvent
        {
            Id = id ?? NewId(now),
            Tenant = tenant!,
            OccurredAt = occurredAt ?? Truncate(now),
            Type = type ?? LogTypes.Activity,
            Action = action!,
            Category = category,
            Actor = actor ?? EventActor.System,
            Targets = targets,
            Outcome = outcome,
            Reason = reason,
            Context = context,
            Changes = changes,
            Metadata = metadata,
            Description = description,
        };

        var omitted = (occurredAt is null ? ClientOmitted.OccurredAt : 0) | (type is null ? ClientOmitted.Type : 0)
            | (category is null ? ClientOmitted.Category : 0) | (description is null ? ClientOmitted.Description : 0);

        // The digest covers what the client sent: an occurred_at it left out must not make a retry look different.
        if (occurredAt is null)
        {
            return new SubmittedEvent(parsed, CanonicalEvent.ContentDigest(parsed with { OccurredAt = default }), ClientChoseId: id is not null, TypeGiven: type is not null)
            {
                Omitted = omitted,
            };
        }

        // The bytes the digest is made of are the event's canonical parts too (seq and received_at still
        // open): written once, they serve both.
        var unsequenced = CanonicalEvent.WriteUnsequenced(parsed);
        return new SubmittedEvent(parsed, SHA256.HashData(unsequenced), ClientChoseId: id is not null, TypeGiven: type is not null)
        {
            Omitted = omitted,
            WrittenParts = CanonicalParts.FromUnsequenced(parsed, unsequenced),
        };
    }

    /// <summary>Truncates a time to whole microseconds in UTC: the precision Witness stores, hashes and indexes.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % 10), TimeSpan.Zero);
    }

    /// <summary>A server-chosen event id: time-ordered, so the id index is appended to rather than scattered.</summary>
    public static string NewId(DateTimeOffset now) => "evt_" + Guid.CreateVersion7(now).ToString("N");

    private static EventActor? ParseActor(in ObjectFields element, string path, List<ValidationError> errors)
    {
        if (!element.TryGetProperty("actor", out var actor) || actor.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var actorPath = Name(path, "actor");
        if (actor.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(actorPath, "must be an object with type, id, name, email, role"));
            return null;
        }

        var fields = ObjectFields.Read(actor, actorPath, ActorFields, errors);
        var email = OptionalString(fields, actorPath, "email", 320, errors);
        if (email is not null && !LooksLikeEmail(email))
        {
            errors.Add(new(Name(actorPath, "email"), "is not an email address"));
        }

        var id = OptionalString(fields, actorPath, "id", EventLimits.MaxShortText, errors);
        var type = OneOf(fields, actorPath, "type", ActorTypes.All, errors);
        return new EventActor
        {
            Type = type ?? (id is null && email is null ? ActorTypes.System : ActorTypes.User),
            Id = id,
            Name = OptionalString(fields, actorPath, "name", EventLimits.MaxShortText, errors),
            Email = email,
            Role = OptionalString(fields, actorPath, "role", EventLimits.MaxShortText, errors),
        };
    }

    private static List<EventTarget> ParseTargets(in ObjectFields element, string path, List<ValidationError> errors)
    {
        if (!element.TryGetProperty("targets", out var targets) || targets.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        var targetsPath = Name(path, "targets");
        if (targets.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(targetsPath, "must be an array of {type, id, name, url}"));
            return [];
        }

        if (targets.GetArrayLength() > EventLimits.MaxTargets)
        {
            errors.Add(new(targetsPath, $"may hold at most {EventLimits.MaxTargets} targets"));
            return [];
        }

        var list = new List<EventTarget>();
        var i = 0;
        foreach (var target in targets.EnumerateArray())
        {
            var targetPath = $"{targetsPath}[{i++}]";
            if (target.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(targetPath, "must be an object with type, id, name, url"));
                continue;
            }

            var fields = ObjectFields.Read(target, targetPath, TargetFields, errors);
            var type = OptionalString(fields, targetPath, "type", 64, errors);
            var id = OptionalIdString(fields, targetPath, "id", errors);
            if (string.IsNullOrEmpty(type))
            {
                errors.Add(new(Name(targetPath, "type"), "is required"));
            }

            if (string.IsNullOrEmpty(id))
            {
                errors.Add(new(Name(targetPath, "id"), "is required"));
            }

            var url = OptionalString(fields, targetPath, "url", EventLimits.MaxLongText, errors);
            if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
            {
                errors.Add(new(Name(targetPath, "url"), "must be an absolute http or https URL"));
            }

            list.Add(new EventTarget
            {
                Type = type ?? "",
                Id = id ?? "",
                Name = OptionalString(fields, targetPath, "name", EventLimits.MaxShortText, errors),
                Url = url,
            });
        }

        return list;
    }

    private static EventContext? ParseContext(in ObjectFields element, string path, List<ValidationError> errors)
    {
        if (!element.TryGetProperty("context", out var context) || context.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var contextPath = Name(path, "context");
        if (context.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(contextPath, "must be an object"));
            return null;
        }

        var fields = ObjectFields.Read(context, contextPath, ContextFields, errors);
        var ipText = OptionalString(fields, contextPath, "ip", 64, errors);
        string? ip = null;
        if (ipText is not null)
        {
            if (ipText.Contains('%'))
            {
                // IPAddress would resolve a zone through this machine's interface table (fe80::1%eth0 becomes
                // fe80::1%4), so what is stored and hashed would depend on the host that received it.
                errors.Add(new(Name(contextPath, "ip"), "must be an address without a zone (%…)"));
            }
            else if (IPAddress.TryParse(ipText, out var address) && !ipText.Contains('/'))
            {
                ip = (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
            }
            else
            {
                errors.Add(new(Name(contextPath, "ip"), "is not an IPv4 or IPv6 address"));
            }
        }

        EventLocation? location = null;
        if (fields.TryGetProperty("location", out var loc) && loc.ValueKind != JsonValueKind.Null)
        {
            var locationPath = Name(contextPath, "location");
            if (loc.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(locationPath, "must be an object with country and city"));
            }
            else
            {
                var locationFields = ObjectFields.Read(loc, locationPath, LocationFields, errors);
                location = new EventLocation
                {
                    Country = OptionalString(locationFields, locationPath, "country", 64, errors),
                    City = OptionalString(locationFields, locationPath, "city", 128, errors),
                };
                if (location.Country is null && location.City is null)
                {
                    location = null;
                }
            }
        }

        var result = new EventContext
        {
            Ip = ip,
            UserAgent = OptionalString(fields, contextPath, "user_agent", 1024, errors),
            Location = location,
            Source = OptionalString(fields, contextPath, "source", 128, errors),
            Brand = OptionalString(fields, contextPath, "brand", 128, errors),
            SessionId = OptionalString(fields, contextPath, "session_id", 128, errors),
            RequestId = OptionalString(fields, contextPath, "request_id", 128, errors),
        };
        return result == new EventContext() ? null : result;
    }

    private static EventChanges? ParseChanges(in ObjectFields element, string path, List<ValidationError> errors)
    {
        if (!element.TryGetProperty("changes", out var changes) || changes.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var changesPath = Name(path, "changes");
        if (changes.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(changesPath, "must be an object with before and after"));
            return null;
        }

        var fields = ObjectFields.Read(changes, changesPath, ChangesFields, errors);
        var before = OptionalObject(fields, changesPath, "before", errors);
        var after = OptionalObject(fields, changesPath, "after", errors);
        return before is null && after is null ? null : new EventChanges { Before = before, After = after };
    }

    private static JsonElement? OptionalObject(in ObjectFields parent, string path, string name, List<ValidationError> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(Name(path, name), "must be a JSON object"));
            return null;
        }

        var duplicate = CanonicalJson.FindDuplicateKey(value, Name(path, name));
        if (duplicate is not null)
        {
            errors.Add(new(duplicate, "appears twice in the same object"));
            return null;
        }

        return value.Clone();
    }

    private static DateTimeOffset? Time(in ObjectFields parent, string path, string name, DateTimeOffset now, List<ValidationError> errors)
    {
        var text = OptionalString(parent, path, name, 64, errors);
        if (text is null)
        {
            return null;
        }

        if (!Rfc3339.TryParse(text, out var time))
        {
            errors.Add(new(Name(path, name), "must be an RFC 3339 time with an offset, e.g. 2023-06-22T15:06:00Z"));
            return null;
        }

        if (time - now > EventLimits.MaxFutureSkew)
        {
            errors.Add(new(Name(path, name), "is more than 24 hours in the future"));
            return null;
        }

        return Truncate(time);
    }

    private static string? OneOf(in ObjectFields parent, string path, string name, IReadOnlyList<string> allowed, List<ValidationError> errors)
    {
        var value = OptionalString(parent, path, name, 64, errors);
        if (value is not null && !allowed.Contains(value))
        {
            errors.Add(new(Name(path, name), $"must be one of {string.Join(", ", allowed)}"));
            return null;
        }

        return value;
    }

    /// <summary>A target id may be sent as a string or a number; it is kept as a string.</summary>
    private static string? OptionalIdString(in ObjectFields parent, string path, string name, List<ValidationError> errors)
    {
        if (parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number)
        {
            var digits = value.GetRawText();
            if (digits.Length > EventLimits.MaxShortText)
            {
                errors.Add(new(Name(path, name), $"is {digits.Length} characters; at most {EventLimits.MaxShortText} are allowed"));
                return null;
            }

            return digits;
        }

        return OptionalString(parent, path, name, EventLimits.MaxShortText, errors);
    }

    private static string? OptionalString(in ObjectFields parent, string path, string name, int maxLength, List<ValidationError> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(Name(path, name), "must be a string"));
            return null;
        }

        var text = value.GetString()!;
        if (text.Length > maxLength)
        {
            errors.Add(new(Name(path, name), $"is {text.Length} characters; at most {maxLength} are allowed"));
            return null;
        }

        return text;
    }

    /// <summary>The names an object may have, as strings (for lookups) and as UTF-8 (for matching the document's names).</summary>
    private sealed class KnownFields(params string[] names)
    {
        public string[] Names { get; } = names.Length <= MaxFields ? names : throw new ArgumentException($"an object may have at most {MaxFields} known fields", nameof(names));

        public byte[][] Utf8 { get; } = [.. names.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The most fields one object kind may have: the size of <see cref="FieldValues"/>.</summary>
    private const int MaxFields = 14;

    [System.Runtime.CompilerServices.InlineArray(MaxFields)]
    private struct FieldValues
    {
        private JsonElement _first;
    }

    /// <summary>
    /// The members of one object, found in one pass over it by their UTF-8 names. Unknown and repeated
    /// names are reported in document order; of a repeated name the last value is the one read, as
    /// <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> would.
    /// </summary>
    private struct ObjectFields
    {
        private KnownFields _known;
        private FieldValues _values;

        public static ObjectFields Read(JsonElement element, string path, KnownFields known, List<ValidationError> errors)
        {
            var fields = new ObjectFields { _known = known };
            foreach (var property in element.EnumerateObject())
            {
                var index = IndexOf(property, known.Utf8);
                if (index < 0)
                {
                    errors.Add(new(Name(path, property.Name), "unknown field"));
                    continue;
                }

                if (fields._values[index].ValueKind != JsonValueKind.Undefined)
                {
                    errors.Add(new(Name(path, property.Name), "appears twice"));
                }

                fields._values[index] = property.Value;
            }

            return fields;
        }

        public readonly bool TryGetProperty(string name, out JsonElement value)
        {
            var names = _known.Names;
            for (var i = 0; i < names.Length; i++)
            {
                if (ReferenceEquals(names[i], name) || names[i] == name)
                {
                    value = _values[i];
                    return value.ValueKind != JsonValueKind.Undefined;
                }
            }

            value = default;
            return false;
        }

        private static int IndexOf(JsonProperty property, byte[][] names)
        {
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
            var escaped = raw.Contains((byte)'\\');
            for (var i = 0; i < names.Length; i++)
            {
                if (escaped ? property.NameEquals(names[i]) : raw.SequenceEqual(names[i]))
                {
                    return i;
                }
            }

            return -1;
        }
    }

    private static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@');
        return at > 0 && at == email.LastIndexOf('@') && at < email.Length - 1 && !email.Any(char.IsWhiteSpace);
    }

    private static string Name(string path, string name) =>
        path.Length == 0 ? name : name.Length == 0 ? path : $"{path}.{name}";

    private static EventValidationException Invalid(string field, string message) => new([new ValidationError(field, message)]);
}
