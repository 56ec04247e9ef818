using System.Text;
using Microsoft.Data.Sqlite;
using Witness.Search;

namespace Witness.Storage.Sqlite;

/// <summary>Free text through blocks of events (migration 013): writing blocks, searching through them, and indexing events stored before them.</summary>
public sealed partial class SqliteStore
{
    /// <summary>Events indexed per transaction while the backlog is indexed.</summary>
    private const int BacklogChunk = 8192;

    /// <summary>A backlog larger than this is not read beside the blocks: the search scans as before until it is indexed.</summary>
    private const long MaxUnindexedRead = 50_000;

    /// <summary>How many of the tenant's newest blocks tell whether a term is common (in more than half of them).</summary>
    private const int SampleBlocks = TextBlockSearch.SampleBlocks;

    /// <summary>Keeps one block: its range row and its document (the tenant's token and the block's trigrams).</summary>
    internal static async ValueTask InsertTextBlockAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, TextBlock block, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText =
            """
            INSERT INTO text_blocks (tenant_id, first_seq, last_seq, min_occurred, max_occurred) VALUES ($t, $first, $last, $min, $max);
            INSERT INTO text_block_terms (rowid, trigrams) VALUES (last_insert_rowid(), $doc);
            """;
        command.Parameters.AddWithValue("$t", tenantId);
        command.Parameters.AddWithValue("$first", block.FirstSeq);
        command.Parameters.AddWithValue("$last", block.LastSeq);
        command.Parameters.AddWithValue("$min", block.MinOccurredMicros);
        command.Parameters.AddWithValue("$max", block.MaxOccurredMicros);
        command.Parameters.AddWithValue("$doc", Document(tenantId, block.Trigrams));
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string TenantToken(long tenantId) => "t" + tenantId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Document(long tenantId, int[] trigrams)
    {
        var text = new StringBuilder(8 + (trigrams.Length * 7));
        text.Append(TenantToken(tenantId));
        Span<char> token = stackalloc char[8];
        foreach (var key in trigrams)
        {
            // TextTrigrams.Token's lower-case hex, written in place (an erasure rebuilds millions of them).
            key.TryFormat(token, out var written, "x", System.Globalization.CultureInfo.InvariantCulture);
            text.Append(' ').Append(token[..written]);
        }

        return text.ToString();
    }

    /// <summary>
    /// The first page through the block index, or null when the search should scan instead: no term
    /// narrows, another index drives the search, the candidates are most of the tenant, or too many
    /// events are not indexed yet.
    /// </summary>
    private static async Task<EventPage?> SearchTextBlocksAsync(
        SqliteConnection connection, long tenantId, EventFilter filter, EventCursor? after, int limit, IReadOnlyList<string>? emailActors, CancellationToken ct)
    {
        if (TextIndexCondition.From(filter) is not { } condition)
        {
            return null;
        }

        await using (var probe = connection.CreateCommand())
        {
            var (from, _, _) = SqliteSearch.Where(probe, tenantId, filter, after, emailActors);
            if (!from.EndsWith("ix_events_time", StringComparison.Ordinal))
            {
                return null;
            }
        }

        // A term in most of the tenant's newest blocks is common: the scan finds its page sooner than
        // the candidate list is read (30 ms for a word in every block at 1,000,000 events, bench/RESULTS.md).
        var match = condition.ToFts5();
        var sampleFrom = await QueryListAsync(connection, null,
            "SELECT block_id FROM text_blocks WHERE tenant_id = $p0 ORDER BY last_seq DESC LIMIT 1 OFFSET $p1", r => r.GetInt64(0), ct, tenantId, SampleBlocks - 1);
        if (sampleFrom is [var newest])
        {
            await using var sample = connection.CreateCommand();
            sample.CommandText =
                """
                SELECT count(*) FROM text_block_terms f CROSS JOIN text_blocks r ON r.block_id = f.rowid
                WHERE text_block_terms MATCH $match AND f.rowid >= $from AND r.tenant_id = $t
                """;
            sample.Parameters.AddWithValue("$match", match);
            sample.Parameters.AddWithValue("$from", newest);
            sample.Parameters.AddWithValue("$t", tenantId);
            if ((long)(await sample.ExecuteScalarAsync(ct))! * 2 > SampleBlocks)
            {
                return null;
            }
        }

        var candidates = await TextCandidatesAsync(connection, null, tenantId, condition, filter, after, ct);
        if (candidates is null)
        {
            return null;
        }

        if (candidates.Count > 16)
        {
            var blocks = (long)(await ScalarAsync(connection, $"SELECT count(*) FROM text_blocks WHERE tenant_id = {tenantId}", ct))!;
            if (!TextBlockSearch.IsSelective(candidates.Count, blocks))
            {
                return null;
            }
        }

        return await TextBlockSearch.PageAsync(candidates, limit, async (ranges, count, token) =>
        {
            await using var command = connection.CreateCommand();
            BuildBlockRows(command, tenantId, filter, after, ranges, count, emailActors);
            var rows = new List<(long, StoredEvent)>();
            await using var reader = await command.ExecuteReaderAsync(token);
            while (await reader.ReadAsync(token))
            {
                rows.Add((reader.GetInt64(1), ReadEvent(reader, 0, 2)));
            }

            return rows;
        }, ct);
    }

    /// <summary>
    /// The blocks that can hold a match of <paramref name="condition"/> within the filter's time range (and before
    /// <paramref name="after"/>), and the events not yet in a block (<c>text_backlog</c>); null when that backlog is
    /// larger than <see cref="MaxUnindexedRead"/>, so the caller scans instead. Every event of the filter is in one of them.
    /// </summary>
    private static async Task<List<TextBlockRange>?> TextCandidatesAsync(
        SqliteConnection connection, SqliteTransaction? tx, long tenantId, TextIndexCondition condition, EventFilter filter, EventCursor? after, CancellationToken ct)
    {
        // CROSS JOIN keeps the index the outer loop: the other way round, FTS5 evaluates the whole MATCH again for each block row.
        // The tenant's own token is left out of the MATCH: it is in every block of the tenant, and ANDing it cost 4 times the
        // lookup of a rare word (bench/RESULTS.md); the join checks the tenant instead.
        var candidates = new List<TextBlockRange>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            var sql = new StringBuilder(
                """
                SELECT r.first_seq, r.last_seq, r.min_occurred, r.max_occurred
                FROM text_block_terms f CROSS JOIN text_blocks r ON r.block_id = f.rowid
                WHERE text_block_terms MATCH $match AND r.tenant_id = $t
                """);
            command.Parameters.AddWithValue("$match", condition.ToFts5());
            command.Parameters.AddWithValue("$t", tenantId);
            if (filter.From is { } fromTime)
            {
                sql.Append(" AND r.max_occurred >= $from");
                command.Parameters.AddWithValue("$from", EventIndexKeys.Micros(fromTime));
            }

            if (filter.To is { } toTime)
            {
                sql.Append(" AND r.min_occurred < $to");
                command.Parameters.AddWithValue("$to", EventIndexKeys.Micros(toTime));
            }

            if (after is not null)
            {
                sql.Append(" AND r.min_occurred <= $after");
                command.Parameters.AddWithValue("$after", after.OccurredAtMicros);
            }

            command.CommandText = sql.ToString();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                candidates.Add(new TextBlockRange(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        var backlog = await QueryRowAsync(connection, tx, "SELECT next_seq, end_seq FROM text_backlog WHERE tenant_id = $p0",
            r => (Next: r.GetInt64(0), End: r.GetInt64(1)), ct, tenantId);
        if (backlog.End > backlog.Next)
        {
            if (backlog.End - backlog.Next > MaxUnindexedRead)
            {
                return null;
            }

            candidates.Add(TextBlockRange.Unindexed(backlog.Next, backlog.End - 1));
        }

        return candidates;
    }

    /// <summary>
    /// The query for the matching rows of some blocks, newest first: the ranges drive, each a row id
    /// range of the table (rid = tenant_id * 2^40 + seq) read in place, checked with the search's own conditions.
    /// </summary>
    internal static void BuildBlockRows(SqliteCommand command, long tenantId, EventFilter filter, EventCursor? after, IReadOnlyList<TextBlockRange> ranges, int count, IReadOnlyList<string>? emailActors)
    {
        var (_, _, where) = SqliteSearch.Where(command, tenantId, filter, after, emailActors, inRanges: true);
        command.Parameters.AddWithValue("$ranges", RidRangesJson(tenantId, ranges));
        command.CommandText =
            $"SELECT e.seq, e.occurred_at, e.body, e.hash, e.personal, p.record FROM json_each($ranges) j CROSS JOIN events e NOT INDEXED {SqliteSearch.PersonalJoin} " +
            $"WHERE e.rid BETWEEN (j.value ->> 0) AND (j.value ->> 1) AND {where} " +
            $"ORDER BY e.occurred_at DESC, e.seq DESC LIMIT {count}";
    }

    /// <summary>
    /// The rid ranges of blocks as a JSON array of <c>[first, last]</c> pairs for <c>json_each</c>, in rid order,
    /// blocks that follow one another joined into one range (fewer seeks of the table).
    /// </summary>
    internal static string RidRangesJson(long tenantId, IEnumerable<TextBlockRange> ranges) =>
        "[" + string.Join(",", TextBlockSearch.SeqRuns(ranges).Select(r => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{Rid(tenantId, r.First)},{Rid(tenantId, r.Last)}]"))) + "]";

    /// <summary>
    /// Indexes the events stored before the block index existed (<c>text_backlog</c>), a chunk per
    /// transaction, and returns how many it indexed. Run at start (<see cref="SqliteStoreOptions.IndexTextBacklogAtStart"/>);
    /// searches stay complete before and during it.
    /// </summary>
    public async Task<long> IndexTextBacklogAsync(CancellationToken ct)
    {
        long indexed = 0;
        while (true)
        {
            var done = await WriteAsync(async connection =>
            {
                await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
                var backlog = await QueryRowAsync(connection, tx, "SELECT tenant_id, next_seq, end_seq FROM text_backlog",
                    r => (Tenant: r.GetInt64(0), Next: r.GetInt64(1), End: r.GetInt64(2)), ct);
                if (backlog == default)
                {
                    return -1L;
                }

                var end = Math.Min(backlog.End, backlog.Next + BacklogChunk);
                var builder = new TextBlockBuilder(_options.TextBlockEvents);
                var rows = await QueryListAsync(connection, tx,
                    $"SELECT e.seq, e.occurred_at, {TextSql} FROM events e {SqliteSearch.PersonalJoin} WHERE e.rid >= $p0 AND e.rid < $p1 ORDER BY e.rid",
                    r => (Seq: r.GetInt64(0), Occurred: r.GetInt64(1), Text: r.GetString(2)), ct, Rid(backlog.Tenant, backlog.Next), Rid(backlog.Tenant, end));
                foreach (var row in rows)
                {
                    builder.Add(row.Seq, row.Occurred, row.Text);
                }

                builder.Complete();
                foreach (var block in builder.Blocks)
                {
                    await InsertTextBlockAsync(connection, tx, backlog.Tenant, block, ct);
                }

                await ExecuteAsync(connection, tx,
                    end >= backlog.End ? "DELETE FROM text_backlog WHERE tenant_id = $p0" : "UPDATE text_backlog SET next_seq = $p1 WHERE tenant_id = $p0",
                    ct, backlog.Tenant, end);
                await tx.CommitAsync(ct);
                return (long)rows.Count;
            }, ct);
            if (done < 0)
            {
                return indexed;
            }

            indexed += done;
        }
    }

    /// <summary>Removes the blocks of a purged prefix (seq ≤ <paramref name="purgedThrough"/>) in the purge's transaction.</summary>
    private static async Task PurgeTextBlocksAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, long purgedThrough, CancellationToken ct)
    {
        await ExecuteAsync(connection, tx,
            """
            DELETE FROM text_block_terms WHERE rowid IN (SELECT block_id FROM text_blocks WHERE tenant_id = $p0 AND last_seq <= $p1);
            DELETE FROM stale_text_blocks WHERE block_id IN (SELECT block_id FROM text_blocks WHERE tenant_id = $p0 AND last_seq <= $p1);
            DELETE FROM text_blocks WHERE tenant_id = $p0 AND last_seq <= $p1;
            UPDATE text_backlog SET next_seq = max(next_seq, $p1 + 1) WHERE tenant_id = $p0;
            DELETE FROM text_backlog WHERE tenant_id = $p0 AND next_seq >= end_seq;
            """, ct, tenantId, purgedThrough);
    }

    /// <summary>Removes every block of a deleted tenant in the deletion's transaction.</summary>
    private static Task DeleteTextBlocksAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, CancellationToken ct) =>
        PurgeTextBlocksAsync(connection, tx, tenantId, SeqsPerTenant, ct);
}
