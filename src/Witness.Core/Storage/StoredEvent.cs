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

    /// <summary>The personal record (leaf version 2, <see cref="PersonalValues"/>) where the store read it; null when the leaf is the body or it was not read.</summary>
    public byte[]? Personal { get; init; }

    /// <summary>The leaf bytes (<see cref="PersonalValues"/>), or null when the personal record does not fit the body.</summary>
    public byte[]? LeafBytes()
    {
        var leaf = new System.Buffers.ArrayBufferWriter<byte>(Body.Length + 256);
        return PersonalValues.TryLeaf(Body, Personal, Personal is not null, leaf) ? leaf.WrittenSpan.ToArray() : null;
    }
}

/// <summary>A page of search results, newest first, and the cursor of the next page (null at the end).</summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, EventCursor? Next);
