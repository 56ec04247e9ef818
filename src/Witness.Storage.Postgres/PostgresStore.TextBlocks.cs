using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Witness.Search;

namespace Witness.Storage.Postgres;

/// <summary>Free text through blocks of events (migration 013): writing blocks, searching through them, and indexing events stored before them.</summary>
public sealed partial class PostgresStore
{
    /// <summary>Events indexed per transaction while the backlog is indexed.</summary>
    private const int BacklogChunk = 8192;

    /// <summary>A backlog larger than this is not read beside the blocks: the search scans as before until it is indexed.</summary>
    private const long MaxUnindexedRead = 50_000;

    /// <summary>The array element that scopes a block to its tenant (negative: trigrams are never negative).</summary>
    internal static int TenantElement(long tenantId) => -(int)(tenantId % int.MaxValue) - 1;

    /// <summary>Inserts blocks in one round trip, in the given transaction.</summary>
    internal static async Task InsertTextBlocksAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<(long TenantId, TextBlock Block)> blocks, CancellationToken ct)
    {
        if (blocks.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var (tenantId, block) in blocks)
        {
            var command = new NpgsqlBatchCommand(
                "INSERT INTO text_blocks (tenant_id, first_seq, last_seq, min_occurred, max_occurred, trigrams) VALUES ($1, $2, $3, $4, $5, $6)");
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = block.FirstSeq });
            command.Parameters.Add(new NpgsqlParameter { Value = block.LastSeq });
            command.Parameters.Add(new NpgsqlParameter { Value = PostgresTime.FromMicros(block.MinOccurredMicros), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = PostgresTime.FromMicros(block.MaxOccurredMicros), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = (int[])[TenantElement(tenantId), .. block.Trigrams] });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The first page through the block index, or null when the search should scan instead: no term
    /// narrows, another index drives the search, the candidates are most of the tenant, or too many
    /// events are not indexed yet.
    /// </summary>
    private static async Task<EventPage?> SearchTextBlocksAsync(NpgsqlConnection connection, long tenantId, EventFilter filter, EventCursor? after, int limit, CancellationToken ct)
    {
        if (TextIndexCondition.From(filter) is not { } condition
            || filter.Terms.Any(t => !t.Negated && (t.Field is FilterField.Target or FilterField.Actor || (t.Field == FilterField.Action && !t.Prefix))))
        {
            return null;
        }

        // The planner costs a scan of text_blocks as cheap, because it does not count reading the
        // out-of-line (TOAST) arrays, and picks it or the tenant index over the GIN index: 260 ms
        // instead of under 1 ms at 1,000,000 events (bench/RESULTS.md). Only the GIN index may serve
        // (tenant_id + 0 is no index key), and seq scans are off for this one statement.
        var candidates = new List<TextBlockRange>();
        await using (var tx = await connection.BeginTransactionAsync(ct))
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL enable_seqscan = off"));

            // A term in most of the tenant's newest blocks is common: the scan finds its page sooner than the
            // candidate list is read. Checked in the same round trip, on the newest blocks through the tenant index.
            var sample = new NpgsqlBatchCommand();
            batch.BatchCommands.Add(sample);
            sample.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            sample.CommandText = SampleCountSql(condition, sample);
            var command = new NpgsqlBatchCommand();
            batch.BatchCommands.Add(command);
            var sql = CandidateSql(tenantId, condition, filter, after, command);

            // The same sample gates the candidate list on the server (a one-time filter): for a common term the
            // list would be most of the tenant's blocks, all sent to be thrown away, 15,625 rows at 1,000,000
            // events: the tail of the PostgreSQL free-text latencies in bench/RESULTS.md. The sample runs twice (about
            // 1 ms at that size): the separate count tells a common term (scan) from one in no block, in the same round trip.
            command.CommandText = string.Create(CultureInfo.InvariantCulture, $"{sql} AND ({SampleCountSql(condition, command)}) * 2 <= {TextBlockSearch.SampleBlocks}");
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                if (reader.GetInt64(0) * 2 > TextBlockSearch.SampleBlocks)
                {
                    return null;
                }

                await reader.NextResultAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    candidates.Add(new TextBlockRange(reader.GetInt64(0), reader.GetInt64(1), PostgresTime.ToMicros(reader.GetDateTime(2)), PostgresTime.ToMicros(reader.GetDateTime(3))));
                }
            }

            await tx.CommitAsync(ct);
        }

        if (candidates.Count > 16)
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM text_blocks WHERE tenant_id = $1", connection);
            count.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            if (!TextBlockSearch.IsSelective(candidates.Count, (long)(await count.ExecuteScalarAsync(ct))!))
            {
                return null;
            }
        }

        await using (var backlog = new NpgsqlCommand("SELECT next_seq, end_seq FROM text_backlog WHERE tenant_id = $1", connection))
        {
            backlog.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await backlog.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct) && reader.GetInt64(1) > reader.GetInt64(0))
            {
                if (reader.GetInt64(1) - reader.GetInt64(0) > MaxUnindexedRead)
                {
                    return null;
                }

                candidates.Add(TextBlockRange.Unindexed(reader.GetInt64(0), reader.GetInt64(1) - 1));
            }
        }

        return await TextBlockSearch.PageAsync(candidates, limit, async (ranges, count, token) =>
        {
            await using var command = new NpgsqlCommand { Connection = connection };
            var (_, _, where) = PostgresSearch.Where(command, tenantId, filter, after, [[.. ranges.Select(r => r.FirstSeq)], [.. ranges.Select(r => r.LastSeq)]]);
            // Each range is read on its own through the seq key (LATERAL, OFFSET 0 keeps it from being flattened): joined
            // plainly, the planner walks the whole time index in page order and tests each row against the ranges.
            command.CommandText =
                $"SELECT x.seq, x.occurred_at, x.body, x.hash, x.personal, x.personal_values FROM unnest($2::bigint[], $3::bigint[]) AS r(first_seq, last_seq) " +
                $"CROSS JOIN LATERAL (SELECT e.seq, e.occurred_at, e.body, e.hash, e.personal, e.personal_values FROM events_joined e WHERE {where} AND e.seq BETWEEN r.first_seq AND r.last_seq OFFSET 0) x " +
                $"ORDER BY x.occurred_at DESC, x.seq DESC LIMIT {count}";
            var rows = new List<(long, StoredEvent)>();
            await using var reader = await command.ExecuteReaderAsync(token);
            while (await reader.ReadAsync(token))
            {
                rows.Add((PostgresTime.ToMicros(reader.GetDateTime(1)), PostgresSplitRows.Event(reader.GetInt64(0), reader, 2)));
            }

            return rows;
        }, ct);
    }

    /// <summary>
    /// The query for the blocks that can hold a match of <paramref name="condition"/> within the filter's time range
    /// (and before <paramref name="after"/>): first seq, last seq, min and max <c>occurred_at</c>, its parameters added
    /// to <paramref name="command"/>. Run with seq scans off (the caller's <c>SET LOCAL</c>), so only the GIN index serves.
    /// </summary>
    private static string CandidateSql(long tenantId, TextIndexCondition condition, EventFilter filter, EventCursor? after, NpgsqlBatchCommand command)
    {
        string Param(object value, NpgsqlDbType? type = null)
        {
            var parameter = new NpgsqlParameter { Value = value };
            if (type is { } t)
            {
                parameter.NpgsqlDbType = t;
            }

            command.Parameters.Add(parameter);
            return $"${command.Parameters.Count}";
        }

        var sql = new StringBuilder(
            $"SELECT b.first_seq, b.last_seq, b.min_occurred, b.max_occurred FROM text_blocks b WHERE b.tenant_id + 0 = {Param(tenantId)} " +
            $"AND b.trigrams @> ARRAY[{TenantElement(tenantId)}]::integer[] AND {TrigramSql(condition, command)}");
        if (filter.From is { } fromTime)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND b.max_occurred >= {Param(fromTime.UtcDateTime, NpgsqlDbType.TimestampTz)}");
        }

        if (filter.To is { } toTime)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND b.min_occurred < {Param(toTime.UtcDateTime, NpgsqlDbType.TimestampTz)}");
        }

        if (after is not null)
        {
            sql.Append(CultureInfo.InvariantCulture, $" AND b.min_occurred <= {Param(PostgresTime.FromMicros(after.OccurredAtMicros), NpgsqlDbType.TimestampTz)}");
        }

        return sql.ToString();
    }

    /// <summary>
    /// The blocks that can hold a match of <paramref name="condition"/> within the filter's time range, and the events not
    /// yet in a block (<c>text_backlog</c>), read in <paramref name="tx"/>; null when that backlog is larger than
    /// <see cref="MaxUnindexedRead"/>, so the caller scans instead. Every event of the filter is in one of them.
    /// </summary>
    private static async Task<List<TextBlockRange>?> TextCandidatesAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, TextIndexCondition condition, EventFilter filter, CancellationToken ct)
    {
        var candidates = new List<TextBlockRange>();
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL enable_seqscan = off"));
            var command = new NpgsqlBatchCommand();
            command.CommandText = CandidateSql(tenantId, condition, filter, null, command);
            batch.BatchCommands.Add(command);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL enable_seqscan TO DEFAULT"));
            var backlog = new NpgsqlBatchCommand("SELECT next_seq, end_seq FROM text_backlog WHERE tenant_id = $1");
            backlog.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            batch.BatchCommands.Add(backlog);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                candidates.Add(new TextBlockRange(reader.GetInt64(0), reader.GetInt64(1), PostgresTime.ToMicros(reader.GetDateTime(2)), PostgresTime.ToMicros(reader.GetDateTime(3))));
            }

            await reader.NextResultAsync(ct);
            if (await reader.ReadAsync(ct) && reader.GetInt64(1) > reader.GetInt64(0))
            {
                if (reader.GetInt64(1) - reader.GetInt64(0) > MaxUnindexedRead)
                {
                    return null;
                }

                candidates.Add(TextBlockRange.Unindexed(reader.GetInt64(0), reader.GetInt64(1) - 1));
            }
        }

        return candidates;
    }

    /// <summary>
    /// How many of the tenant's newest <see cref="TextBlockSearch.SampleBlocks"/> blocks hold the terms: <c>$1</c> of
    /// <paramref name="command"/> is the tenant, the trigram arrays are added to it.
    /// </summary>
    private static string SampleCountSql(TextIndexCondition condition, NpgsqlBatchCommand command) =>
        $"SELECT count(*) FROM (SELECT b.trigrams FROM text_blocks b WHERE b.tenant_id = $1 ORDER BY b.last_seq DESC LIMIT {TextBlockSearch.SampleBlocks}) b " +
        $"WHERE {TrigramSql(condition, command)}";

    /// <summary>The condition on a block's trigrams (<c>b.trigrams</c>), its arrays bound as parameters of <paramref name="command"/>.</summary>
    private static string TrigramSql(TextIndexCondition condition, NpgsqlBatchCommand command)
    {
        var parts = new List<string>();
        if (condition.All.Count > 0)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = condition.All.ToArray() });
            parts.Add($"b.trigrams @> ${command.Parameters.Count}::integer[]");
        }

        parts.AddRange(condition.AnyOf.Select(group => "(" + string.Join(" OR ", group.Select(a => "(" + TrigramSql(a, command) + ")")) + ")"));
        return string.Join(" AND ", parts);
    }

    /// <summary>
    /// Indexes the events stored before the block index existed (<c>text_backlog</c>), a chunk per
    /// transaction, and returns how many it indexed. Run at start (<see cref="PostgresStoreOptions.IndexTextBacklogAtStart"/>);
    /// searches stay complete before and during it.
    /// </summary>
    public async Task<long> IndexTextBacklogAsync(CancellationToken ct)
    {
        long indexed = 0;
        while (true)
        {
            await using var connection = await Data.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            long tenantId, next, end;
            await using (var select = new NpgsqlCommand("SELECT tenant_id, next_seq, end_seq FROM text_backlog ORDER BY tenant_id LIMIT 1 FOR UPDATE", connection, tx))
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct))
                {
                    return indexed;
                }

                (tenantId, next, end) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            }

            var stop = Math.Min(end, next + BacklogChunk);
            var builder = new TextBlockBuilder(_options.TextBlockEvents);
            var rows = 0;
            await using (var select = new NpgsqlCommand("SELECT seq, occurred_at, search_text FROM events_joined WHERE tenant_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq", connection, tx))
            {
                select.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                select.Parameters.Add(new NpgsqlParameter { Value = next });
                select.Parameters.Add(new NpgsqlParameter { Value = stop });
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    builder.Add(reader.GetInt64(0), PostgresTime.ToMicros(reader.GetDateTime(1)), reader.GetString(2));
                    rows++;
                }
            }

            builder.Complete();
            await InsertTextBlocksAsync(connection, tx, [.. builder.Blocks.Select(b => (tenantId, b))], ct);
            await using (var update = new NpgsqlCommand(
                stop >= end ? "DELETE FROM text_backlog WHERE tenant_id = $1" : "UPDATE text_backlog SET next_seq = $2 WHERE tenant_id = $1", connection, tx))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                if (stop < end)
                {
                    update.Parameters.Add(new NpgsqlParameter { Value = stop });
                }

                await update.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
            indexed += rows;
        }
    }

    /// <summary>Removes the blocks of a purged prefix (seq ≤ <paramref name="purgedThrough"/>) in the purge's transaction.</summary>
    private static async Task PurgeTextBlocksAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, long purgedThrough, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("DELETE FROM text_blocks WHERE tenant_id = $1 AND last_seq <= $2") { Parameters = { new() { Value = tenantId }, new() { Value = purgedThrough } } },
                new NpgsqlBatchCommand("UPDATE text_backlog SET next_seq = greatest(next_seq, $2 + 1) WHERE tenant_id = $1") { Parameters = { new() { Value = tenantId }, new() { Value = purgedThrough } } },
                new NpgsqlBatchCommand("DELETE FROM text_backlog WHERE tenant_id = $1 AND next_seq >= end_seq") { Parameters = { new() { Value = tenantId } } },
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }
}
