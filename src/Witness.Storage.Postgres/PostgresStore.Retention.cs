using Npgsql;
using NpgsqlTypes;
using Witness.Events;
using Witness.Retention;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IRetentionStore
{
    // With the tenant's id, the key of the transaction lock that lets one purge of a tenant run at a
    // time across instances; appends do not take it, so they never wait for a purge to start.
    private const int RetentionLockClass = 0x57495452;

    public async Task<PurgedPrefix> GetPurgedPrefixAsync(string tenant, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT r.purged_through, r.recorded_through FROM retention_state r JOIN tenants t ON t.id = r.tenant_id WHERE t.name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new PurgedPrefix(reader.GetInt64(0), reader.GetInt64(1)) : PurgedPrefix.None;
    }

    /// <summary>
    /// Deletes the due blocks' rows (events, their ids and targets) by key, each statement bounded by
    /// the purged events' received_at so only the months holding them are touched. A month left
    /// without rows of any tenant is then dropped as a whole, so expired months leave no dead rows.
    /// </summary>
    public async Task<PurgeBatch?> PurgeAsync(string tenant, DateTimeOffset receivedBefore, int maxEvents, CancellationToken ct)
    {
        PurgeBatch batch;
        DateTime? remainingReceived;
        await using (var connection = await RetentionData.OpenConnectionAsync(ct))
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            var head = await ReadPurgeHeadAsync(connection, tx, tenant, ct);
            if (head is null)
            {
                return null;
            }

            var (tenantId, size, purged) = head.Value;
            var limit = Math.Max(RetentionBlocks.BlockSize, maxEvents / RetentionBlocks.BlockSize * RetentionBlocks.BlockSize);
            var rows = await ReadPurgeCandidatesAsync(connection, tx, tenantId, purged, limit + 1, ct);
            var end = RetentionBlocks.PurgeEnd(purged, size, [.. rows.Select(r => PostgresTime.ToMicros(r.ReceivedAt))], EventIndexKeys.Micros(receivedBefore), maxEvents);
            if (end == purged)
            {
                return null;
            }

            var removed = rows.Take((int)(end - purged)).ToList();
            remainingReceived = rows.Count > removed.Count ? rows[removed.Count].ReceivedAt : null;
            await KeepLeafBlocksAsync(connection, tx, tenantId, purged, end, removed, ct);
            await DeleteRowsAsync(connection, tx, tenantId, purged, end, removed, ct);
            await using (var state = new NpgsqlCommand(
                """
                INSERT INTO retention_state (tenant_id, purged_through, recorded_through) VALUES ($1, $2, 0)
                ON CONFLICT (tenant_id) DO UPDATE SET purged_through = excluded.purged_through
                """, connection, tx))
            {
                state.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                state.Parameters.Add(new NpgsqlParameter { Value = end });
                await state.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
            batch = new PurgeBatch(purged + 1, end);

            // This tenant has nothing left before the month of its oldest remaining event; when that
            // month is past the first purged one, earlier months may now be empty for every tenant.
            var clearedBefore = MonthOf(new DateTimeOffset(remainingReceived ?? receivedBefore.UtcDateTime, TimeSpan.Zero));
            if (MonthOf(new DateTimeOffset(removed[0].ReceivedAt, TimeSpan.Zero)) < clearedBefore)
            {
                await using var drop = new NpgsqlCommand("SELECT witness_drop_empty_event_partitions($1)", connection);
                drop.Parameters.Add(new NpgsqlParameter { Value = clearedBefore.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz });
                if (await drop.ExecuteScalarAsync(ct) is > 0)
                {
                    _months.Clear();
                }
            }
        }

        return batch;
    }

    public async Task MarkPurgeRecordedAsync(string tenant, long through, CancellationToken ct)
    {
        await using var connection = await RetentionData.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "UPDATE retention_state SET recorded_through = greatest(recorded_through, $2) WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = through });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The tenant's id, committed size and purged prefix, with the tenant's purge lock taken; null for an unknown tenant.</summary>
    private static async Task<(long TenantId, long Size, long Purged)?> ReadPurgeHeadAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenant, CancellationToken ct)
    {
        long tenantId;
        await using (var find = new NpgsqlCommand("SELECT id FROM tenants WHERE name = $1", connection, tx))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = tenant });
            if (await find.ExecuteScalarAsync(ct) is not long id)
            {
                return null;
            }

            tenantId = id;
        }

        await using (var serialize = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, $2)", connection, tx))
        {
            serialize.Parameters.Add(new NpgsqlParameter { Value = RetentionLockClass });
            serialize.Parameters.Add(new NpgsqlParameter { Value = unchecked((int)tenantId) });
            await serialize.ExecuteNonQueryAsync(ct);
        }

        // Read after the lock, so a purge that just committed on another instance is seen.
        await using var command = new NpgsqlCommand(
            "SELECT t.log_size, coalesce(r.purged_through, 0) FROM tenants t LEFT JOIN retention_state r ON r.tenant_id = t.id WHERE t.id = $1", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (tenantId, reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<List<PurgeCandidate>> ReadPurgeCandidatesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, long purged, int count, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT seq, received_at, occurred_at, hash, body, personal, personal_values FROM events_joined WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = purged });
        command.Parameters.Add(new NpgsqlParameter { Value = purged + count });
        var rows = new List<PurgeCandidate>(count);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // A split row's body is its leaf (commitments where its values were): read back with them, as the targets are read from it.
            var (body, _) = PostgresSplitRows.Joined(reader.GetFieldValue<byte[]>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6));
            rows.Add(new PurgeCandidate(reader.GetInt64(0), reader.GetDateTime(1), reader.GetDateTime(2), reader.GetFieldValue<byte[]>(3), body));
        }

        return rows;
    }

    /// <summary>Keeps the leaf hashes of each purged block in which a signed checkpoint ends, so consistency proofs from it still work.</summary>
    private static async Task KeepLeafBlocksAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, long purged, long end, List<PurgeCandidate> removed, CancellationToken ct)
    {
        var sizes = new List<long>();
        await using (var command = new NpgsqlCommand("SELECT size FROM checkpoints WHERE tenant_id = $1 AND size > $2 AND size < $3", connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = purged });
            command.Parameters.Add(new NpgsqlParameter { Value = end });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                sizes.Add(reader.GetInt64(0));
            }
        }

        for (var block = purged / RetentionBlocks.BlockSize; block < end / RetentionBlocks.BlockSize; block++)
        {
            if (!RetentionBlocks.KeepsLeaves(block, sizes))
            {
                continue;
            }

            var first = (int)((block * RetentionBlocks.BlockSize) - purged);
            var hashes = removed.Skip(first).Take(RetentionBlocks.BlockSize).SelectMany(r => r.Hash).ToArray();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO purged_leaf_blocks (tenant_id, block, hashes) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, block) DO UPDATE SET hashes = excluded.hashes",
                connection, tx);
            insert.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            insert.Parameters.Add(new NpgsqlParameter { Value = block });
            insert.Parameters.Add(new NpgsqlParameter { Value = hashes });
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task DeleteRowsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, long purged, long end, List<PurgeCandidate> removed, CancellationToken ct)
    {
        var oldest = removed.Min(r => r.ReceivedAt);
        var newest = removed.Max(r => r.ReceivedAt);

        // The target index is keyed by target, not seq: its rows are found from the events' own targets.
        var ids = new List<string>();
        var types = new List<string>();
        var occurred = new List<DateTime>();
        var seqs = new List<long>();
        foreach (var row in removed)
        {
            foreach (var target in CanonicalEvent.ReadWithoutFreeForm(row.Body).Targets.Select(t => (t.Type, t.Id)).Distinct())
            {
                ids.Add(target.Id);
                types.Add(target.Type);
                occurred.Add(row.OccurredAt);
                seqs.Add(row.Seq);
            }
        }

        await using (var targets = new NpgsqlCommand(
            """
            DELETE FROM event_targets x USING unnest($2::text[], $3::text[], $4::timestamptz[], $5::bigint[]) AS k(target_id, target_type, occurred_at, seq)
            WHERE x.tenant_id = $1 AND x.target_id = k.target_id AND x.target_type = k.target_type AND x.occurred_at = k.occurred_at AND x.seq = k.seq
              AND x.received_at BETWEEN $6 AND $7
            """, connection, tx))
        {
            targets.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            targets.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            targets.Parameters.Add(new NpgsqlParameter { Value = types.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            targets.Parameters.Add(new NpgsqlParameter { Value = occurred.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            targets.Parameters.Add(new NpgsqlParameter { Value = seqs.ToArray() });
            targets.Parameters.Add(new NpgsqlParameter { Value = oldest, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            targets.Parameters.Add(new NpgsqlParameter { Value = newest, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await targets.ExecuteNonQueryAsync(ct);
        }

        await PostgresEventCounts.SubtractAsync(connection, tx, tenantId, purged, end, oldest, newest,
            removed.Min(r => EventCountSlots.Of(PostgresTime.ToMicros(r.OccurredAt))), removed.Max(r => EventCountSlots.Of(PostgresTime.ToMicros(r.OccurredAt))), ct);
        foreach (var sql in new[]
        {
            "DELETE FROM events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 AND received_at BETWEEN $4 AND $5",
            "DELETE FROM event_ids WHERE tenant_id = $1 AND seq > $2 AND seq <= $3",
            "DELETE FROM event_personal WHERE tenant_id = $1 AND seq > $2 AND seq <= $3",
        })
        {
            await using var delete = new NpgsqlCommand(sql, connection, tx);
            delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            delete.Parameters.Add(new NpgsqlParameter { Value = purged });
            delete.Parameters.Add(new NpgsqlParameter { Value = end });
            if (sql.Contains("$4", StringComparison.Ordinal))
            {
                delete.Parameters.Add(new NpgsqlParameter { Value = oldest, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                delete.Parameters.Add(new NpgsqlParameter { Value = newest, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            }

            await delete.ExecuteNonQueryAsync(ct);
        }

        await PurgeTextBlocksAsync(connection, tx, tenantId, end, ct);
    }

    /// <summary>
    /// The leaf hashes of purged events <paramref name="start"/> + 1 to <paramref name="start"/> + <paramref name="count"/>
    /// from the blocks retention kept; throws <see cref="PurgedLeavesException"/> when a block's hashes were not kept.
    /// </summary>
    private static async Task<List<byte[]>> KeptLeafHashesAsync(NpgsqlConnection connection, long tenantId, long start, int count, CancellationToken ct)
    {
        long purged;
        await using (var state = new NpgsqlCommand("SELECT purged_through FROM retention_state WHERE tenant_id = $1", connection))
        {
            state.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            purged = await state.ExecuteScalarAsync(ct) is long p ? p : 0;
        }

        var hashes = new List<byte[]>(count);
        for (var seq = start + 1; seq <= start + count && seq <= purged;)
        {
            var block = RetentionBlocks.BlockOf(seq);
            await using var command = new NpgsqlCommand("SELECT hashes FROM purged_leaf_blocks WHERE tenant_id = $1 AND block = $2", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = block });
            var bytes = await command.ExecuteScalarAsync(ct) as byte[] ?? throw new PurgedLeavesException(seq, purged);
            var blockStart = (block * RetentionBlocks.BlockSize) + 1;
            for (; seq <= start + count && seq < blockStart + RetentionBlocks.BlockSize; seq++)
            {
                hashes.Add(bytes.AsSpan((int)(seq - blockStart) * 32, 32).ToArray());
            }
        }

        return hashes;
    }

    private sealed record PurgeCandidate(long Seq, DateTime ReceivedAt, DateTime OccurredAt, byte[] Hash, byte[] Body);
}
