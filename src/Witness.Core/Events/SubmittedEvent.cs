namespace Witness.Events;

/// <summary>
/// An event as a client submitted it, validated and normalized but not yet appended.
/// <paramref name="ContentDigest"/> identifies what the client sent, so a retry with the same id is
/// recognised as the same body; <paramref name="ClientChoseId"/> tells whether the id came from the
/// client, <paramref name="TypeGiven"/> whether the log type did (else the action catalog may choose it).
/// </summary>
public sealed record SubmittedEvent(AuditEvent Event, byte[] ContentDigest, bool ClientChoseId, bool TypeGiven = true)
{
    /// <summary>The fields the client left out, which the server may fill (<see cref="ClientOmitted"/>); stored so that verification can recompute <see cref="ContentDigest"/>.</summary>
    public ClientOmitted Omitted { get; init; }

    /// <summary>
    /// The canonical bytes (sealed: salts and leaf form) and index keys, prepared off the writer's thread; computed on demand when
    /// absent. Only valid for the <see cref="Event"/> object they were prepared from (see <see cref="Prepare"/>).
    /// </summary>
    public PreparedEvent? Prepared { get; init; }

    /// <summary>The paths the tenant's catalog marks personal for the event's action (<see cref="PersonalPaths"/>), set by the intake; null when none.</summary>
    public PersonalPaths? MarkedPaths { get; init; }

    /// <summary>Canonical parts the parser already wrote for <see cref="Event"/>; ignored once the event is replaced by a changed copy.</summary>
    internal CanonicalParts? WrittenParts { get; init; }

    /// <summary>This event with its canonical parts and index keys prepared (on the calling thread).</summary>
    public SubmittedEvent Prepare()
    {
        if (Prepared is { } prepared && ReferenceEquals(prepared.Parts.Source, Event))
        {
            return this;
        }

        var parts = WrittenParts is { } written && ReferenceEquals(written.Source, Event) ? written : CanonicalParts.Of(Event);
        parts.Seal(MarkedPaths);
        return this with { Prepared = new PreparedEvent(parts, Storage.EventIndexKeys.From(Event)), WrittenParts = null };
    }
}

/// <summary>
/// What the writer needs besides seq and received_at: the sealed canonical parts, and the index keys
/// (whose received time the writer sets).
/// </summary>
public sealed record PreparedEvent(CanonicalParts Parts, Storage.EventIndexKeys Keys);
