using Witness.Events;
using Witness.Storage;

namespace Witness.Privacy;

/// <summary>
/// The rewrite of one stored event of leaf version 2 by an erasure, written once for every store: its
/// personal values become <see cref="PersonalValues.Erased"/>, its personal record the commitments, and
/// what the store keeps beside the body is derived again from the erased body (index columns, the
/// content digest when the row says which fields its client left out, and the emails its marked values
/// still hold), so verification finds every column consistent and the leaf unchanged.
/// </summary>
public static class PersonalErasure
{
    /// <summary>An erased row; <paramref name="MarkedEmails"/>: what the store's index of marked emails keeps for it (null: nothing).</summary>
    public sealed record ErasedRow(byte[] Body, byte[] Personal, EventIndexKeys Keys, byte[]? ContentDigest, string[]? MarkedEmails);

    /// <summary>The erased row, or null when the record already holds commitments (erased before).</summary>
    public static ErasedRow? Rewrite(byte[] body, byte[] personal, ClientOmitted? omitted)
    {
        if (PersonalValues.IsCommitted(personal))
        {
            return null;
        }

        var (erasedBody, record) = PersonalValues.Erase(body, personal);
        return Row(erasedBody, record, omitted);
    }

    /// <summary>
    /// The row of another subject's event with only the values at catalog-marked paths that hold one of
    /// <paramref name="emails"/> erased (<see cref="PersonalValues.EraseEmails"/>), or null when none does.
    /// </summary>
    public static ErasedRow? RewriteEmails(byte[] body, byte[] personal, ClientOmitted? omitted, IReadOnlySet<string> emails) =>
        PersonalValues.EraseEmails(body, personal, emails) is var (erasedBody, record) ? Row(erasedBody, record, omitted) : null;

    private static ErasedRow Row(byte[] body, byte[] record, ClientOmitted? omitted)
    {
        var e = CanonicalEvent.Read(body);
        return new ErasedRow(body, record, EventIndexKeys.From(e), omitted is { } flags ? ClientContent.Digest(e, flags) : null, PersonalValues.MarkedEmails(body, record));
    }
}
