using System.Text;
using System.Text.Json;
using Witness.Events;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Verification;

/// <summary>
/// The checks of one stored row: its leaf hash (of its body, and for leaf version 2 its personal record) against
/// its hash column, and its seq, tenant, id and index columns against its body.
/// </summary>
internal sealed class RowChecks(string tenant)
{
    private readonly byte[] _tenantUtf8 = Encoding.UTF8.GetBytes(tenant);

    /// <summary>
    /// Checks one row: on its bytes when it is in the common form and everything matches (nearly
    /// always), otherwise in full, which names what differs.
    /// </summary>
    public RowCheck Check(LogRowBlock rows, int row, Span<byte> leaf)
    {
        LeafHash(rows.Cell(row, LogColumn.Body), rows.Cell(row, LogColumn.Personal), !rows.IsNull(row, LogColumn.Personal), leaf);
        if (leaf.SequenceEqual(rows.Cell(row, LogColumn.Hash)) && RowBytesCheck.Matches(rows, row, _tenantUtf8, out var targets))
        {
            // The pair is read from the columns, which match the body, when the appender adds it.
            return new RowCheck(null, targets, null) { PairInColumns = !rows.IsNull(row, LogColumn.ActorEmail) };
        }

        return Check(rows.ToStoredRow(row), leaf);
    }

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? t_leafBytes;

    /// <summary>The leaf hash of a row: of its body, or for leaf version 2 of its body with its personal values' commitments (all zero when the record does not fit).</summary>
    private static void LeafHash(ReadOnlySpan<byte> body, ReadOnlySpan<byte> personal, bool hasPersonal, Span<byte> leaf)
    {
        if (!hasPersonal)
        {
            MerkleHash.Leaf(body, leaf);
            return;
        }

        var bytes = t_leafBytes ??= new System.Buffers.ArrayBufferWriter<byte>(4096);
        bytes.ResetWrittenCount();
        if (PersonalValues.TryLeaf(body, personal, true, bytes))
        {
            MerkleHash.Leaf(bytes.WrittenSpan, leaf);
        }
        else
        {
            leaf.Clear();
        }
    }

    private RowCheck Check(StoredRow row, ReadOnlySpan<byte> leaf)
    {
        if (row.SeqColumn != row.Seq)
        {
            return new RowCheck($"the event stored at seq {row.Seq} says {row.SeqColumn} in its seq column: events were moved", 0, null);
        }

        if (!row.TenantColumnMatches)
        {
            return new RowCheck($"event {row.Seq}'s tenant column names another tenant", 0, null);
        }

        if (!leaf.SequenceEqual(row.Hash))
        {
            return row.Personal is null
                ? new RowCheck($"event {row.Seq} was changed: its bytes no longer match its hash", 0, null)
                : new RowCheck($"event {row.Seq} was changed: its bytes with its personal record (the salts or commitments of its personal values) no longer match its hash", 0, null);
        }

        AuditEvent e;
        try
        {
            e = CanonicalEvent.ReadWithoutFreeForm(row.Body);
            if (e.Type is LogTypes.WebhookFailure or LogTypes.IntegrationFailure)
            {
                // Failure logs' search text includes their metadata (EventIndexKeys), so it is read for them.
                e = CanonicalEvent.Read(row.Body);
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return new RowCheck($"event {row.Seq} is not a readable event", 0, null);
        }

        if (e.Seq != row.Seq)
        {
            return new RowCheck($"the event stored at seq {row.Seq} is event {e.Seq}: events were moved", 0, null);
        }

        if (e.Tenant != tenant)
        {
            return new RowCheck($"event {row.Seq} belongs to tenant '{e.Tenant}'", 0, null);
        }

        if (e.Id != row.Id)
        {
            return new RowCheck($"event {row.Seq}'s id column differs from its body", 0, null);
        }

        var keys = EventIndexKeys.From(e);
        if (row.PersonalText is { } personalText && row.Personal is { } record)
        {
            // A split row: its free text is in two parts, the public one in the row and the personal one beside it.
            var split = PersonalSplit.Keys(row.Body, record, e);
            if (split.PublicText != row.Keys.SearchText)
            {
                return new RowCheck($"event {row.Seq}'s 'search_text' column differs from its body", 0, null);
            }

            if (split.PersonalText != personalText)
            {
                return new RowCheck($"event {row.Seq}'s personal 'search_text' (kept beside the row) differs from its body", 0, null);
            }

            keys = keys with { SearchText = row.Keys.SearchText };
        }

        var column = keys.FirstDifference(row.Keys);
        if (column is not null)
        {
            return new RowCheck($"event {row.Seq}'s '{column}' column differs from its body", 0, null);
        }

        if (!row.IdIndexed)
        {
            return new RowCheck($"event {row.Seq} is missing from the id index (event_ids) or listed there under another id: a retry with its id would be stored again", 0, null);
        }

        if (row.ClientOmitted is { } omitted && !ContentDigestMatches(row, omitted))
        {
            return new RowCheck(
                $"event {row.Seq}'s content_digest column differs from the digest of what its client sent (its body without the fields client_omitted says the server filled): a retry with its id would be judged against another body", 0, null);
        }

        ulong targets = 0;
        foreach (var (type, id) in keys.Targets.Distinct())
        {
            targets += IndexChecks.TargetDigest(row.Seq, type, id);
        }

        return new RowCheck(null, targets, keys.ActorEmail is { } email ? (email, keys.ActorId ?? "") : null);
    }

    private static bool ContentDigestMatches(StoredRow row, ClientOmitted omitted)
    {
        try
        {
            return row.ContentDigest is { } digest && ClientContent.Matches(row.Body, omitted, digest);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }
}

internal readonly record struct RowCheck(string? Problem, ulong TargetDigest, (string Email, string ActorId)? EmailPair)
{
    /// <summary>The row's actor_email and actor_id columns hold its (email, actor id) pair, checked against its body.</summary>
    public bool PairInColumns { get; init; }
}
