using Witness.Ingest;

namespace Witness.Events;

/// <summary>
/// An event as a client submitted it, validated and normalized but not yet appended.
/// <paramref name="ContentDigest"/> identifies what the client sent, so a retry with the same id is
/// recognised as the same body; <paramref name="ClientChoseId"/> tells whether the id came from the
/// client, <paramref name="TypeGiven"/> whether the log type did (else the action catalog may choose it).
/// </summary>
public sealed record SubmittedEvent(AuditEvent Event, byte[] ContentDigest, bool ClientChoseId, bool TypeGiven = true)
{
    /// <summary>The event's template and index keys when already worked out (<see cref="Prepare"/>); used only while it is for <see cref="Event"/>.</summary>
    public PreparedEvent? Prepared { get; init; }

    /// <summary>This submission with its <see cref="Prepared"/> form worked out, so the append does less while it holds the tenant's log.</summary>
    public SubmittedEvent Prepare() => Prepared?.IsFor(Event) == true ? this : this with { Prepared = PreparedEvent.Of(Event) };
}
