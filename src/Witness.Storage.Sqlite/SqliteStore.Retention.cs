using Microsoft.Data.Sqlite;
using Witness.Events;
using Witness.Retention;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IRetentionStore
{
    public Task<PurgedPrefix> GetPurgedPrefixAsync(string tenant, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT r.purged_through, r.recorded_through FROM retention_state r JOIN tenants t ON t.id = r.tenant_id WHERE t.name = $tenant";
            command.Parameters.AddWithValue("$tenant", tenant);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? new PurgedPrefix(reader.GetInt64(0), reader.GetInt64(1)) : PurgedPrefix.None;
        }, ct);

    public Task<PurgeBatch?> PurgeAsync(string tenant, DateTimeOffset receivedBefore, int maxEvents, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            var heads = await QueryListAsync(connection, tx,
                "SELECT t.id, t.log_size, coalesce(r.purged_through, 0) FROM tenants t LEFT JOIN retention_state r ON r.tenant_id = t.id WHERE t.name = $p0",
                r => (Id: r.GetInt64(0), Size: r.GetInt64(1), Purged: r.GetInt64(2)), ct, tenant);
            if (heads.Count == 0)
            {
                return null;
            }

            var h = heads[0];

            var limit = Math.Max(RetentionBlocks.BlockSize, maxEvents / RetentionBlocks.BlockSize * RetentionBlocks.BlockSize);
            var received = await QueryListAsync(connection, tx,
                "SELECT received_at FROM events WHERE rid > $p0 AND rid <= $p1 ORDER BY rid",
                r => r.GetInt64(0), ct, Rid(h.Id, h.Purged), Rid(h.Id, h.Purged + limit));
            var end = RetentionBlocks.PurgeEnd(h.Purged, h.Size, received, EventIndexKeys.Micros(receivedBefore), maxEvents);
            if (end == h.Purged)
            {
                return null;
            }

            var checkpointSizes = await QueryListAsync(connection, tx,
                "SELECT size FROM checkpoints WHERE tenant_id = $p0 AND size > $p1 AND size < $p2",
                r => r.GetInt64(0), ct, h.Id, h.Purged, end);
            for (var block = h.Purged / RetentionBlocks.BlockSize; block < end / RetentionBlocks.BlockSize; block++)
            {
                if (!RetentionBlocks.KeepsLeaves(block, checkpointSizes))
                {
                    continue;
                }

                var first = (block * RetentionBlocks.BlockSize) + 1;
                var leaves = await QueryListAsync(connection, tx,
                    "SELECT hash FROM events WHERE rid >= $p0 AND rid < $p1 ORDER BY rid",
                    r => r.GetFieldValue<byte[]>(0), ct, Rid(h.Id, first), Rid(h.Id, first + RetentionBlocks.BlockSize));
                await ExecuteAsync(connection, tx, "INSERT OR REPLACE INTO purged_leaf_blocks (tenant_id, block, hashes) VALUES ($p0, $p1, $p2)", ct,
                    h.Id, block, leaves.SelectMany(l => l).ToArray());
            }

            // The target index has no seq key, so its rows are found from the events' own targets.
            var targets = await QueryListAsync(connection, tx,
                $"SELECT e.seq, e.occurred_at, e.body, e.personal, p.record FROM events e {SqliteSearch.PersonalJoin} WHERE e.rid > $p0 AND e.rid <= $p1",
                r => (Seq: r.GetInt64(0), Occurred: r.GetInt64(1), Body: Joined(r.GetFieldValue<byte[]>(2), r.IsDBNull(3) ? null : r.GetFieldValue<byte[]>(3), r.IsDBNull(4) ? null : r.GetFieldValue<byte[]>(4)).Body),
                ct, Rid(h.Id, h.Purged), Rid(h.Id, end));
            await using (var delete = connection.CreateCommand())
            {
                delete.Transaction = tx;
                delete.CommandText = "DELETE FROM event_targets WHERE tenant_id = $t AND target_id = $id AND target_type = $type AND occurred_at = $occ AND seq = $seq";
                foreach (var name in new[] { "$t", "$id", "$type", "$occ", "$seq" })
                {
                    delete.Parameters.Add(new SqliteParameter { ParameterName = name });
                }

                delete.Parameters["$t"].Value = h.Id;
                foreach (var row in targets)
                {
                    foreach (var target in CanonicalEvent.Read(row.Body).Targets)
                    {
                        delete.Parameters["$id"].Value = EventIndexKeys.IndexText(target.Id);
                        delete.Parameters["$type"].Value = EventIndexKeys.IndexText(target.Type);
                        delete.Parameters["$occ"].Value = row.Occurred;
                        delete.Parameters["$seq"].Value = row.Seq;
                        await delete.ExecuteNonQueryAsync(ct);
                    }
                }
            }

            // The (email, actor id) pairs of the purged events; after the delete, those no remaining event
            // carries leave actor_emails, so filter menus and email searches only know emails still in the log.
            var pairs = await QueryListAsync(connection, tx,
                $"SELECT DISTINCT coalesce(e.actor_email, p.email), coalesce(e.actor_id, '') FROM events e {SqliteSearch.PersonalJoin} WHERE e.rid > $p0 AND e.rid <= $p1 AND coalesce(e.actor_email, p.email) IS NOT NULL",
                r => (Email: r.GetString(0), ActorId: r.GetString(1)), ct, Rid(h.Id, h.Purged), Rid(h.Id, end));
            await SubtractEventCountsAsync(connection, tx, Rid(h.Id, h.Purged), Rid(h.Id, end), ct);
            await ExecuteAsync(connection, tx, "DELETE FROM events WHERE rid > $p0 AND rid <= $p1", ct, Rid(h.Id, h.Purged), Rid(h.Id, end));
            await ExecuteAsync(connection, tx, "DELETE FROM event_personal WHERE rid > $p0 AND rid <= $p1", ct, Rid(h.Id, h.Purged), Rid(h.Id, end));
            await ExecuteAsync(connection, tx, "DELETE FROM marked_emails WHERE tenant_id = $p0 AND seq > $p1 AND seq <= $p2", ct, h.Id, h.Purged, end);
            await PurgeTextBlocksAsync(connection, tx, h.Id, end, ct);
            foreach (var (email, actorId) in pairs)
            {
                // With an actor id, ix_events_actor finds a remaining event of the pair at once; pairs without
                // one (rare: an email but no id) scan the tenant's events for the email.
                var remains = await QueryRowAsync(connection, tx,
                    actorId.Length > 0
                        ? $"SELECT 1 FROM events e {SqliteSearch.PersonalJoin} WHERE e.tenant_id = $p0 AND e.actor_id = $p2 AND coalesce(e.actor_email, p.email) = $p1"
                        : $"SELECT 1 FROM events e {SqliteSearch.PersonalJoin} WHERE e.tenant_id = $p0 AND e.actor_id IS NULL AND coalesce(e.actor_email, p.email) = $p1",
                    r => true, ct, h.Id, email, actorId);
                if (!remains)
                {
                    await ExecuteAsync(connection, tx, "DELETE FROM actor_emails WHERE tenant_id = $p0 AND email = $p1 AND actor_id = $p2", ct, h.Id, email, actorId);
                    // The writer must insert the pair again when a new event carries it.
                    _knownEmailPairs.Remove((h.Id, email, actorId));
                }
            }

            await ExecuteAsync(connection, tx,
                """
                INSERT INTO retention_state (tenant_id, purged_through, recorded_through) VALUES ($p0, $p1, 0)
                ON CONFLICT (tenant_id) DO UPDATE SET purged_through = excluded.purged_through
                """, ct, h.Id, end);
            await tx.CommitAsync(ct);
            return new PurgeBatch(h.Purged + 1, end);
        }, ct);

    public Task MarkPurgeRecordedAsync(string tenant, long through, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                "UPDATE retention_state SET recorded_through = max(recorded_through, $p1) WHERE tenant_id = (SELECT id FROM tenants WHERE name = $p0)",
                ct, tenant, through);
            return 0;
        }, ct);

    /// <summary>
    /// The leaf hashes of purged events <paramref name="start"/> + 1 to <paramref name="start"/> + <paramref name="count"/>
    /// from the blocks retention kept; throws <see cref="PurgedLeavesException"/> when a block's hashes were not kept.
    /// </summary>
    private static async Task<List<byte[]>> KeptLeafHashesAsync(SqliteConnection connection, long tenantId, long start, int count, CancellationToken ct)
    {
        var purged = (await QueryListAsync(connection, null, "SELECT purged_through FROM retention_state WHERE tenant_id = $p0", r => r.GetInt64(0), ct, tenantId)).FirstOrDefault();
        var hashes = new List<byte[]>(count);
        for (var seq = start + 1; seq <= start + count && seq <= purged;)
        {
            var block = RetentionBlocks.BlockOf(seq);
            var bytes = await QueryRowAsync(connection, null, "SELECT hashes FROM purged_leaf_blocks WHERE tenant_id = $p0 AND block = $p1",
                r => r.GetFieldValue<byte[]>(0), ct, tenantId, block) ?? throw new PurgedLeavesException(seq, purged);
            var blockStart = (block * RetentionBlocks.BlockSize) + 1;
            for (; seq <= start + count && seq < blockStart + RetentionBlocks.BlockSize; seq++)
            {
                hashes.Add(bytes.AsSpan((int)(seq - blockStart) * 32, 32).ToArray());
            }
        }

        return hashes;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = Prepare(connection, tx, sql, values);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The first row, or null when there is none.</summary>
    private static async Task<T?> QueryRowAsync<T>(SqliteConnection connection, SqliteTransaction? tx, string sql, Func<SqliteDataReader, T> read, CancellationToken ct, params object[] values)
    {
        var rows = await QueryListAsync(connection, tx, sql + " LIMIT 1", read, ct, values);
        return rows.Count > 0 ? rows[0] : default;
    }

    private static async Task<List<T>> QueryListAsync<T>(SqliteConnection connection, SqliteTransaction? tx, string sql, Func<SqliteDataReader, T> read, CancellationToken ct, params object[] values)
    {
        await using var command = Prepare(connection, tx, sql, values);
        var list = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(read(reader));
        }

        return list;
    }

    /// <summary>A command with <paramref name="values"/> bound to <c>$p0</c>, <c>$p1</c>, … (null as SQL NULL).</summary>
    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction? tx, string sql, object?[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue($"$p{i}", values[i] ?? DBNull.Value);
        }

        return command;
    }
}
