using Witness.Events;

namespace Witness.Storage;

/// <summary>
/// A stored event: its canonical bytes (exactly what was hashed) and its leaf hash. Everything shown
/// or exported is read from <see cref="Body"/>, never from index columns.
/// </summary>
public sealed record StoredEvent(long Seq, byte[] Body, byte[] Hash)
{
    private AuditEvent? _event;

    /// <summary>The event parsed from <see cref="Body"/>.</summary>
    public AuditEvent Event => _event ??= CanonicalEvent.Read(Body);

    public string HashHex => Convert.ToHexStringLower(Hash);
}

/// <summary>A page of search results, newest first, and the cursor of the next page (null at the end).</summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, EventCursor? Next);
