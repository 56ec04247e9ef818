using Witness.Events;
using Witness.Storage;

namespace Witness.Privacy;

/// <summary>
/// The rewrite of one stored event of leaf version 2 by an erasure, written once for every store: its
/// personal values become <see cref="PersonalValues.Erased"/>, its personal record the commitments, and
/// what the store keeps beside the body is derived again from the erased body (index columns, and the
/// content digest when the row says which fields its client left out), so verification finds every
/// column consistent and the leaf unchanged.
/// </summary>
public static class PersonalErasure
{
    public sealed record ErasedRow(byte[] Body, byte[] Personal, EventIndexKeys Keys, byte[]? ContentDigest);

    /// <summary>The erased row, or null when the record already holds commitments (erased before).</summary>
    public static ErasedRow? Rewrite(byte[] body, byte[] personal, ClientOmitted? omitted)
    {
        if (PersonalValues.IsCommitted(personal))
        {
            return null;
        }

        var (erasedBody, record) = PersonalValues.Erase(body, personal);
        var e = CanonicalEvent.Read(erasedBody);
        return new ErasedRow(erasedBody, record, EventIndexKeys.From(e), omitted is { } flags ? ClientContent.Digest(e, flags) : null);
    }
}
