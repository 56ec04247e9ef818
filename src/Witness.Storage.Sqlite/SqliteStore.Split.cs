using System.Data.Common;
using Microsoft.Data.Sqlite;
using Witness.Events;
using Witness.Search;

namespace Witness.Storage.Sqlite;

/// <summary>
/// Split rows (migration 029, docs/erasure.md): an event appended since keeps its masked body (each personal value written
/// <c>"[erased]"</c>) in <c>events.body</c>, the shape of its personal record (with the commitments) in <c>events.personal</c> and its values in <c>event_personal</c>; every reader joins them back
/// (<see cref="PersonalSplit.Join(byte[], byte[], byte[])"/>) into the body and record rows of the old layout still have, so nothing downstream
/// tells the two apart.
/// </summary>
public sealed partial class SqliteStore : IStaleTextBlockStore
{
    /// <summary>
    /// The key <c>event_personal</c> keeps a split event's row under, so a subject's rows stand together: <c>i:</c> and the
    /// actor id, or for an event without one <c>e:</c> and its lower-case email, or empty (neither).
    /// </summary>
    internal static string Subject(string? actorId, string? email) =>
        actorId is not null ? "i:" + actorId : email is not null ? "e:" + email : "";

    /// <summary>How many parts <c>event_personal</c> is kept in, by subject (migration 029).</summary>
    internal const int SubjectBuckets = 8;

    /// <summary>
    /// The part of <c>event_personal</c> a subject's rows are kept in: FNV-1a of the subject's UTF-16 code units, modulo
    /// <see cref="SubjectBuckets"/> (the same in every process, unlike <see cref="string.GetHashCode()"/>). SQL reads it
    /// as <c>witness_subject_bucket(subject)</c>, a function every connection of the store registers.
    /// </summary>
    internal static long Bucket(string subject)
    {
        var hash = 2166136261u;
        foreach (var c in subject)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash % SubjectBuckets;
    }

    /// <summary>
    /// The free text of an events row <c>e</c> joined with its side row <c>p</c> (<see cref="SqliteSearch.PersonalJoin"/>),
    /// for the free-text blocks: the row's text, and a split event's personal text after it.
    /// </summary>
    private const string TextSql = "e.search_text || coalesce(p.text, '')";

    /// <summary>
    /// The event of a row read as <c>seq, …, body, hash, personal, record</c>: <paramref name="seq"/> is the ordinal of
    /// the seq, <paramref name="body"/> that of the body, the hash, the personal column and the side row's record
    /// (NULL without one) following it.
    /// </summary>
    private static StoredEvent ReadEvent(DbDataReader reader, int seq, int body)
    {
        var (bytes, personal) = Joined(
            reader.GetFieldValue<byte[]>(body),
            reader.IsDBNull(body + 2) ? null : reader.GetFieldValue<byte[]>(body + 2),
            reader.IsDBNull(body + 3) ? null : reader.GetFieldValue<byte[]>(body + 3));
        return new StoredEvent(reader.GetInt64(seq), bytes, reader.GetFieldValue<byte[]>(body + 1)) { Personal = personal };
    }

    /// <summary>The body and personal record of a row: as stored for the old layout, joined from masked body, shape and values for a split row.</summary>
    private static (byte[] Body, byte[]? Personal) Joined(byte[] body, byte[]? personal, byte[]? values) =>
        personal is not null && PersonalSplit.IsShape(personal)
            ? PersonalSplit.Join(body, personal, values)
            : (body, personal);

    /// <summary>The last seq of the tenant's log stored before migration 029 (0: none), whose rows may keep personal values in the events row.</summary>
    private static async Task<long> UnsplitThroughAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, CancellationToken ct) =>
        await QueryRowAsync(connection, tx, "SELECT through_seq FROM unsplit_logs WHERE tenant_id = $p0", r => r.GetInt64(0), ct, tenantId);

    /// <summary>
    /// Erases the split events whose side rows <c>p</c> <paramref name="from"/> (a FROM and WHERE; <c>$t</c> given) selects,
    /// through <see cref="PersonalSplit.Erase"/>: every personal value (<paramref name="onlyEmails"/> null), or only the marked
    /// values holding one of <paramref name="onlyEmails"/>. Only the side row changes: deleted when nothing is left to keep,
    /// rewritten otherwise; the marked-email index keeps what the values still hold. Adds each erased seq to
    /// <paramref name="erased"/> and the actor email the row had to <paramref name="actorEmails"/> when given; answers how
    /// many events changed. The masked body and shape are read from the events row only when needed: erasing every value of an event
    /// without marked paths (no rendered description either) leaves nothing to keep.
    /// </summary>
    private static async Task<long> EraseSplitAsync(
        SqliteConnection connection, SqliteTransaction tx, long tenantId, string from, IReadOnlySet<string>? onlyEmails, HashSet<string>? actorEmails,
        List<long> erased, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        var rows = new List<(long Rid, byte[]? Masked, byte[]? Shape, byte[] Values, string? Email, string Subject)>();
        await using (var select = Command(connection, tx,
            "SELECT DISTINCT p.rid, CASE WHEN $only = 1 OR p.marked = 1 THEN (SELECT q.body FROM events q WHERE q.rid = p.rid) END, " +
            $"CASE WHEN $only = 1 OR p.marked = 1 THEN (SELECT q.personal FROM events q WHERE q.rid = p.rid) END, p.record, p.email, p.subject FROM {from}",
            [("$t", tenantId), ("$only", onlyEmails is null ? 0L : 1L), .. parameters]))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2),
                    reader.GetFieldValue<byte[]>(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5)));
            }
        }

        // In key order, so each page of the side table is read and dirtied once.
        rows.Sort((a, b) => string.CompareOrdinal(a.Subject, b.Subject) is var bySubject and not 0 ? bySubject : a.Rid.CompareTo(b.Rid));
        // Bound by position (as appends are): an erasure writes up to one row per event of the subject, and ADO.NET's named
        // parameters cost several microseconds a row (0.3-0.5 s of 4 for a subject in 100,000 events, bench/RESULTS.md, session 15).
        using var delete = new SqliteInsertStatement(connection, "DELETE FROM event_personal WHERE tenant_id = ?1 AND bucket = ?2 AND rid = ?3");
        using var update = new SqliteInsertStatement(connection,
            "UPDATE event_personal SET subject = ?4, email = ?5, ip = ?6, text = ?7, record = ?8 WHERE tenant_id = ?1 AND bucket = ?2 AND rid = ?3");
        await using var unmark = Command(connection, tx, "DELETE FROM marked_emails WHERE tenant_id = $t AND seq = $seq AND email NOT IN (SELECT value FROM json_each($keep))",
            ("$t", tenantId), ("$seq", 0L), ("$keep", "[]"));
        long count = 0;
        foreach (var (rid, masked, shape, values, email, subject) in rows)
        {
            SplitErasure? result;
            if (masked is null || shape is null)
            {
                result = new SplitErasure(null, "", null, null, null, null);
            }
            else if (PersonalSplit.IsShape(shape))
            {
                result = PersonalSplit.Erase(masked, shape, values, onlyEmails);
            }
            else
            {
                continue;
            }

            if (result is null)
            {
                continue;
            }

            if (actorEmails is not null && email is not null)
            {
                actorEmails.Add(email);
            }

            if (result.Values is null)
            {
                delete.Bind(1, tenantId);
                delete.Bind(2, Bucket(subject));
                delete.Bind(3, rid);
                delete.Execute();
            }
            else
            {
                // A row kept under an erased email (an event without an actor id) moves to the empty subject: the key held the value.
                update.Bind(1, tenantId);
                update.Bind(2, Bucket(subject));
                update.Bind(3, rid);
                update.Bind(4, subject.StartsWith("e:", StringComparison.Ordinal) && result.ActorEmail is null ? "" : subject);
                update.Bind(5, result.ActorEmail);
                update.Bind(6, result.Ip);
                update.Bind(7, result.PersonalText);
                update.Bind(8, result.Values);
                update.Execute();
            }

            // The marked emails its values no longer hold leave the index (only events with marked paths have any).
            var seq = rid - Rid(tenantId, 0);
            if (shape is not null && (shape[0] & PersonalValues.Marked) != 0)
            {
                unmark.Parameters["$seq"].Value = seq;
                unmark.Parameters["$keep"].Value = System.Text.Json.JsonSerializer.Serialize(result.MarkedEmails ?? []);
                await unmark.ExecuteNonQueryAsync(ct);
            }

            erased.Add(seq);
            count++;
        }

        return count;
    }

    /// <summary>
    /// Records the tenant's free-text blocks holding one of <paramref name="seqs"/> as stale (<c>stale_text_blocks</c>), in the
    /// erasure's transaction: <see cref="RebuildStaleTextBlocksAsync"/> writes them again later.
    /// </summary>
    private static async Task MarkTextBlocksStaleAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, List<long> seqs, CancellationToken ct)
    {
        if (seqs.Count == 0)
        {
            return;
        }

        seqs.Sort();
        var blocks = await QueryListAsync(connection, tx,
            "SELECT block_id, first_seq, last_seq FROM text_blocks WHERE tenant_id = $p0 AND last_seq >= $p1 AND first_seq <= $p2 ORDER BY last_seq",
            r => (Id: r.GetInt64(0), First: r.GetInt64(1), Last: r.GetInt64(2)), ct, tenantId, seqs[0], seqs[^1]);
        await using var insert = Command(connection, tx, "INSERT OR IGNORE INTO stale_text_blocks (block_id, tenant_id) VALUES ($id, $t)", ("$id", 0L), ("$t", tenantId));
        foreach (var (id, _, _) in TextBlocksHolding.Seqs(blocks, seqs))
        {
            insert.Parameters["$id"].Value = id;
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    /// <inheritdoc/>
    public Task<int> RebuildStaleTextBlocksAsync(string tenant, int maxBlocks, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            if (await TenantIdAsync(connection, tenant, ct) is not { } tenantId)
            {
                return 0;
            }

            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            var blocks = await QueryListAsync(connection, tx,
                "SELECT b.block_id, b.first_seq, b.last_seq FROM stale_text_blocks s CROSS JOIN text_blocks b ON b.block_id = s.block_id WHERE s.tenant_id = $p0 ORDER BY s.block_id LIMIT $p1",
                r => (Id: r.GetInt64(0), First: r.GetInt64(1), Last: r.GetInt64(2)), ct, tenantId, maxBlocks);
            if (blocks.Count == 0)
            {
                // Rows whose block is gone (none are expected: purges and tenant deletions remove both) end here too.
                await ExecuteAsync(connection, tx, "DELETE FROM stale_text_blocks WHERE tenant_id = $p0", ct, tenantId);
                await tx.CommitAsync(ct);
                return 0;
            }

            await WriteTextBlocksAsync(connection, tx, tenantId, blocks, ct);
            await ExecuteAsync(connection, tx, "DELETE FROM stale_text_blocks WHERE block_id IN (SELECT value FROM json_each($p0))", ct,
                System.Text.Json.JsonSerializer.Serialize(blocks.Select(b => b.Id)));
            await tx.CommitAsync(ct);
            return blocks.Count;
        }, ct);
}
