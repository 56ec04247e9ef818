using System.Security.Cryptography;

namespace Witness.Events;

/// <summary>
/// The fields a client left out of an event, which the server then filled (occurred_at with the time it
/// received the event; type, category and description from the tenant's action catalog). Stored beside the
/// event (<c>client_omitted</c>) so that the digest of what the client sent (<c>content_digest</c>, which
/// judges retries with the same id) can be recomputed from the stored body and checked by verification.
/// </summary>
[Flags]
public enum ClientOmitted
{
    None = 0,
    OccurredAt = 1,
    Type = 2,
    Category = 4,
    Description = 8,
}

/// <summary>What the client sent, recovered from a stored event and the fields it omitted.</summary>
public static class ClientContent
{
    /// <summary>
    /// The digest <see cref="EventParser"/> made of what the client sent, recomputed from the stored event:
    /// the omitted fields back to what the parser had before the server filled them, and seq and received_at
    /// open, as <see cref="CanonicalEvent.ContentDigest"/> leaves them.
    /// </summary>
    public static byte[] Digest(AuditEvent stored, ClientOmitted omitted)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var sent = stored with
        {
            OccurredAt = omitted.HasFlag(ClientOmitted.OccurredAt) ? default : stored.OccurredAt,
            Type = omitted.HasFlag(ClientOmitted.Type) ? LogTypes.Activity : stored.Type,
            Category = omitted.HasFlag(ClientOmitted.Category) ? null : stored.Category,
            Description = omitted.HasFlag(ClientOmitted.Description) ? null : stored.Description,
        };
        return CanonicalEvent.ContentDigest(sent);
    }

    /// <summary>Whether <paramref name="digest"/> is what <see cref="Digest"/> gives for the stored body.</summary>
    public static bool Matches(byte[] body, ClientOmitted omitted, ReadOnlySpan<byte> digest) =>
        digest.Length == SHA256.HashSizeInBytes && Digest(CanonicalEvent.Read(body), omitted).AsSpan().SequenceEqual(digest);
}
