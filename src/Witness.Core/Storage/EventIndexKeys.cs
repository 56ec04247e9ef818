using System.Net;
using System.Text;
using System.Text.Json;
using Witness.Events;
using Witness.Search;

namespace Witness.Storage;

/// <summary>
/// The columns a store keeps beside an event's canonical body so it can be found quickly. They are
/// always derived from the event by <see cref="From"/>, and the chain verifier derives them again
/// from the stored body and compares, so a column changed behind Witness's back is caught like a
/// changed body.
/// </summary>
public sealed record EventIndexKeys(
    long OccurredAtMicros,
    long ReceivedAtMicros,
    string Type,
    string Action,
    string? Category,
    string Outcome,
    string? ActorId,
    string? ActorEmail,
    byte[]? Ip,
    string SearchText,
    IReadOnlyList<(string Type, string Id)> Targets)
{
    public static long Micros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);

    public static EventIndexKeys From(AuditEvent e) => WithSearchText(e, SearchTextOf(e, withBuiltInPersonal: true));

    /// <summary>The keys of <paramref name="e"/> with <paramref name="searchText"/> as its search text.</summary>
    private static EventIndexKeys WithSearchText(AuditEvent e, string searchText) =>
        new(
            Micros(e.OccurredAt),
            Micros(e.ReceivedAt),
            e.Type,
            e.Action,
            IndexText(e.Category),
            e.Outcome,
            IndexText(e.Actor.Id),
            e.Actor.Email is PersonalValues.Erased ? null : IndexText(e.Actor.Email?.ToLowerInvariant()),
            e.Context?.Ip is { } ip and not PersonalValues.Erased ? IpRange.Key(IPAddress.Parse(ip)) : null,
            searchText,
            [.. e.Targets.Select(t => (IndexText(t.Type), IndexText(t.Id)))]);

    /// <summary>
    /// The lower-case text free-text search matches, one shown value per line; without the built-in personal values
    /// (<c>actor.name</c>, <c>actor.email</c>, <c>context.ip</c>, <c>context.location</c>) when
    /// <paramref name="withBuiltInPersonal"/> is false (<see cref="PersonalSplit"/>'s public text of an event whose
    /// personal values are only the built-in ones).
    /// </summary>
    internal static string SearchTextOf(AuditEvent e, bool withBuiltInPersonal)
    {
        var text = new StringBuilder(256);
        Append(text, e.Description);
        Append(text, e.Action);
        Append(text, e.Category);
        if (withBuiltInPersonal)
        {
            Append(text, e.Actor.Name);
            Append(text, e.Actor.Email);
        }

        Append(text, e.Actor.Id);
        foreach (var t in e.Targets)
        {
            Append(text, t.Name);
            Append(text, t.Id);
        }

        Append(text, e.Reason);
        if (withBuiltInPersonal)
        {
            Append(text, e.Context?.Ip);
            Append(text, e.Context?.Location?.Country);
            Append(text, e.Context?.Location?.City);
        }

        if (e.Type is LogTypes.WebhookFailure or LogTypes.IntegrationFailure && e.Metadata is { ValueKind: JsonValueKind.Object } metadata)
        {
            // Failure logs carry what went wrong in metadata (endpoint, integration name, failure type,
            // details): free text finds them by it. Other types keep metadata out of search. Sorted by name,
            // because the canonical body orders members and the submitted event may not.
            foreach (var property in metadata.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                Append(text, property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number => property.Value.GetRawText(),
                    _ => null,
                });
            }
        }

        return IndexText(text.ToString().ToLowerInvariant());
    }

    /// <summary>
    /// A value as index columns and search parameters hold it: U+0000 becomes U+FFFD. PostgreSQL text
    /// cannot hold U+0000, and every store derives the same keys so verification means the same on
    /// each; the event's body keeps the character.
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    public static string? IndexText(string? value) => value is not null && value.Contains('\0', StringComparison.Ordinal) ? value.Replace('\0', '\uFFFD') : value;

    /// <summary>The name of the first stored column that differs from these keys (targets aside), or null when all match.</summary>
    public string? FirstDifference(EventIndexKeys stored) =>
        OccurredAtMicros != stored.OccurredAtMicros ? "occurred_at"
        : ReceivedAtMicros != stored.ReceivedAtMicros ? "received_at"
        : Type != stored.Type ? "type"
        : Action != stored.Action ? "action"
        : Category != stored.Category ? "category"
        : Outcome != stored.Outcome ? "outcome"
        : ActorId != stored.ActorId ? "actor_id"
        : ActorEmail != stored.ActorEmail ? "actor_email"
        : !(Ip ?? []).AsSpan().SequenceEqual(stored.Ip ?? []) || (Ip is null) != (stored.Ip is null) ? "ip"
        : SearchText != stored.SearchText ? "search_text"
        : null;

    /// <summary>The lower-case text that free-text search matches: the shown values, one per line.</summary>
    private static void Append(StringBuilder text, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            text.Append(value).Append('\n');
        }
    }
}
