using Witness.Events;

namespace Witness.Storage;

/// <summary>One row to append: the event at its seq, its canonical body and leaf hash, the digest of what the client sent, and its index keys.</summary>
public sealed record LogEntry(AuditEvent Event, byte[] Body, byte[] Hash, byte[] ContentDigest, EventIndexKeys Keys)
{
    public long Seq => Event.Seq;

    /// <summary>The fields the client left out (<see cref="SubmittedEvent.Omitted"/>), stored beside <see cref="ContentDigest"/>.</summary>
    public ClientOmitted Omitted { get; init; }

    /// <summary>The salts of the event's personal values (<see cref="PersonalValues"/>), stored beside the body; null when it has none.</summary>
    public byte[]? Personal { get; init; }

    /// <summary>
    /// The lower-case email addresses the values at catalog-marked paths hold (<see cref="PersonalValues.MarkedEmails"/>),
    /// which the store indexes with the event so an erasure by email finds them; null when none (most events).
    /// </summary>
    public string[]? MarkedEmails { get; init; }

    /// <summary>Where a store keeping values beside the row puts them (<see cref="CanonicalParts.Split"/>); null when the event has no personal value.</summary>
    public SplitEvent? Split { get; init; }

    /// <summary>The masked body (<see cref="Body"/> with each personal value written as <c>"[erased]"</c>), which such a store keeps as the row's body; null when the event has no personal value.</summary>
    public byte[]? Masked { get; init; }
}

/// <summary>An event already in the log under a client id: enough to answer a retry (same body) or a conflict (other body).</summary>
public sealed record ExistingEvent(long Seq, byte[] ContentDigest, byte[] Body, byte[] Hash);
