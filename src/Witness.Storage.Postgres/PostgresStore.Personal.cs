using Npgsql;
using NpgsqlTypes;
using Witness.Events;
using Witness.Privacy;
using Witness.Search;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IPersonalDataStore, IStaleTextBlockStore
{
    private const int ErasureBatch = 2000;

    // Rows stored before split rows (029): their values are in the events row. A split row's personal column is a shape
    // (PersonalSplit.Flag on its kind byte): those rows are erased through event_personal.
    private const string NotSplit = "(e.personal IS NULL OR get_byte(e.personal, 0) & 64 = 0)";

    public Task<ErasureCount> EraseSubjectAsync(string tenant, ErasureSubject subject, CancellationToken ct) =>
        subject.Email is { } email
            // By email: its events, and every event of the actor ids seen with it (in rows stored before, and in split rows).
            // The actor ids are one array worked out once (ARRAY(...)), so each table is read through its email and actor indexes.
            ? EraseAsync(tenant,
                $"e.tenant_id = $1 AND {NotSplit} AND (e.actor_email = $2 OR e.actor_id = ANY({ActorIdsOfEmail}))",
                $"p.tenant_id = $1 AND (p.email = $2 OR p.actor_id = ANY({ActorIdsOfEmail}))", email, subject, ct)
            : EraseAsync(tenant, $"e.tenant_id = $1 AND e.actor_id = $2 AND {NotSplit}", "p.tenant_id = $1 AND p.actor_id = $2", subject.ActorId!, subject, ct);

    private const string ActorIdsOfEmail =
        "ARRAY(SELECT actor_id FROM events WHERE tenant_id = $1 AND actor_email = $2 AND actor_id IS NOT NULL " +
        "UNION SELECT actor_id FROM event_personal WHERE tenant_id = $1 AND email = $2 AND actor_id IS NOT NULL)";

    public Task<ErasureCount> EraseReceivedBeforeAsync(string tenant, DateTimeOffset receivedBefore, CancellationToken ct) =>
        EraseAsync(tenant, "e.tenant_id = $1 AND e.received_at < $2 AND e.personal IS NOT NULL AND get_byte(e.personal, 0) IN (1, 129, 3, 131)",
            "p.tenant_id = $1 AND p.received_at < $2", receivedBefore.UtcDateTime, null, ct);

    /// <summary>
    /// One transaction: reads the matching rows, rewrites them through <see cref="PersonalErasure"/> and writes them
    /// back in batches (<c>events</c>, and the content digest and marked emails in <c>event_ids</c>), rebuilds the
    /// free-text blocks holding them and, for a subject, erases the values at catalog-marked paths of other actors'
    /// events that hold one of its emails (found through <c>event_ids.marked_emails</c>) and forgets what first-seen
    /// alert rules remember of it. The old row versions stay in the table files until VACUUM reclaims them (docs/erasure.md).
    /// </summary>
    private async Task<ErasureCount> EraseAsync(string tenant, string where, string splitWhere, object value, ErasureSubject? subject, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return ErasureCount.None;
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        // The top lists' day counts keep actors' emails and IPs: all the tenant's filled days are forgotten (filled again when next counted).
        await ForgetKeyDaysAsync(connection, tx, tenantId.Value, ct);

        var actors = new HashSet<string>(StringComparer.Ordinal);
        var emails = new HashSet<string>(StringComparer.Ordinal);
        // The rows stored before split rows (values in the events row) are those below the tenant's split_rows_from.
        var before = await ScalarAsync(connection, tx, "SELECT seq FROM split_rows_from WHERE tenant_id = $1", tenantId.Value, ct) as long? ?? 0;
        var changed = new List<long>();
        var (erased, kept) = before <= 1 ? (0L, 0L)
            : await RewriteAsync(connection, tx, tenantId.Value, $"{where} AND e.seq < {before}", value, null, actors, emails, changed, ct);
        erased += await EraseSplitAsync(connection, tx, tenantId.Value, splitWhere, value, null, actors, emails, changed, ct);
        if (subject is not null)
        {
            // Other actors' events whose marked values hold one of the subject's emails (the one it was named by, and those
            // its events carried): only those values, and their copies in a rendered description, are erased.
            if (subject.Email is { } email)
            {
                emails.Add(email);
            }

            var seqs = new List<long>();
            if (emails.Count > 0)
            {
                await using var find = new NpgsqlCommand("SELECT seq FROM event_ids WHERE tenant_id = $1 AND marked_emails && $2::text[]", connection, tx);
                find.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
                find.Parameters.Add(new NpgsqlParameter { Value = emails.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                await using var reader = await find.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    seqs.Add(reader.GetInt64(0));
                }
            }

            if (seqs.Count > 0 && seqs.Any(s => s < before))
            {
                erased += (await RewriteAsync(connection, tx, tenantId.Value, $"e.tenant_id = $1 AND e.seq = ANY($2) AND {NotSplit}", seqs.ToArray(), emails, null, null, changed, ct)).Erased;
            }

            if (seqs.Count > 0)
            {
                erased += await EraseSplitAsync(connection, tx, tenantId.Value, "p.tenant_id = $1 AND p.seq = ANY($2)", seqs.ToArray(), emails, null, null, changed, ct);
            }

            // What first-seen alert rules remember of the subject: AlertService keys an actor by its id, or by the
            // lower-case email of an event without one; the IPs or countries seen with it go with the key.
            actors.UnionWith([subject.Email ?? subject.ActorId!]);
            await using var unseen = new NpgsqlCommand(
                "DELETE FROM alert_seen WHERE rule_id IN (SELECT id FROM alert_rules WHERE tenant = $1) AND actor = ANY($2)", connection, tx);
            unseen.Parameters.Add(new NpgsqlParameter { Value = tenant });
            unseen.Parameters.Add(new NpgsqlParameter { Value = actors.ToArray() });
            await unseen.ExecuteNonQueryAsync(ct);
        }

        changed.Sort();
        await MarkStaleTextBlocksAsync(connection, tx, tenantId.Value, changed, ct);
        await tx.CommitAsync(ct);
        return new ErasureCount(erased, kept);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, object value, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        return await command.ExecuteScalarAsync(ct);
    }

    /// <summary>
    /// Erases split rows (migration 029) matching <paramref name="where"/> over <c>event_personal p</c> (<c>$1</c> the tenant id,
    /// <c>$2</c> <paramref name="value"/>); the events rows are not written. Every value erased (<paramref name="onlyEmails"/>
    /// null): a side row without marked values is deleted by the database alone (nothing of it would be kept); the others,
    /// and the marked values holding one of <paramref name="onlyEmails"/>, go through <see cref="PersonalSplit.Erase"/> and
    /// are deleted or rewritten, and the marked emails of their event_ids rows follow. The content digest stays: a retry
    /// of what the client sent is still the same event, and verification does not check the digest of a split row whose
    /// values are erased (it no longer has what the client sent). Adds the seqs changed to <paramref name="changed"/>.
    /// </summary>
    private static async Task<long> EraseSplitAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, string where, object value, IReadOnlySet<string>? onlyEmails,
        HashSet<string>? actors, HashSet<string>? actorEmails, List<long> changed, CancellationToken ct)
    {
        void Seen(NpgsqlDataReader reader, int at)
        {
            if (actors is not null && !reader.IsDBNull(at))
            {
                actors.Add(reader.GetString(at));
            }

            if (actorEmails is not null && !reader.IsDBNull(at + 1))
            {
                actorEmails.Add(reader.GetString(at + 1));
            }
        }

        long erased = 0;
        if (onlyEmails is null)
        {
            await using var delete = new NpgsqlCommand($"DELETE FROM event_personal p WHERE {where} AND NOT p.marked RETURNING p.seq, p.actor_id, p.email", connection, tx);
            delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            delete.Parameters.Add(new NpgsqlParameter { Value = value });
            await using var reader = await delete.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                changed.Add(reader.GetInt64(0));
                Seen(reader, 1);
                erased++;
            }
        }

        var deleted = new List<long>();
        var rewritten = new List<(long Seq, SplitErasure Row)>();
        var marked = new List<(long Seq, string[]? Emails)>();
        if (onlyEmails is null && await ScalarAsync(connection, tx, "SELECT EXISTS (SELECT 1 FROM event_personal WHERE tenant_id = $1 AND marked)", tenantId, ct) is false)
        {
            return erased;
        }

        await using (var select = new NpgsqlCommand(
            $"""
            SELECT p.seq, e.body, e.personal, p.record, p.actor_id, p.email
            FROM event_personal p
            JOIN events e ON e.tenant_id = p.tenant_id AND e.seq = p.seq AND e.received_at = p.received_at
            WHERE {where}{(onlyEmails is null ? " AND p.marked" : "")}
            """, connection, tx))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            select.Parameters.Add(new NpgsqlParameter { Value = value });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                Seen(reader, 4);
                var seq = reader.GetInt64(0);
                var shape = reader.GetFieldValue<byte[]>(2);
                if (PersonalSplit.Erase(reader.GetFieldValue<byte[]>(1), shape, reader.GetFieldValue<byte[]>(3), onlyEmails) is not { } row)
                {
                    continue;
                }

                if (row.Values is null)
                {
                    deleted.Add(seq);
                }
                else
                {
                    rewritten.Add((seq, row));
                }

                if ((shape[0] & PersonalValues.Marked) != 0)
                {
                    marked.Add((seq, row.MarkedEmails));
                }

                changed.Add(seq);
            }
        }

        if (deleted.Count > 0)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM event_personal WHERE tenant_id = $1 AND seq = ANY($2)", connection, tx);
            delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            delete.Parameters.Add(new NpgsqlParameter { Value = deleted.ToArray() });
            await delete.ExecuteNonQueryAsync(ct);
        }

        if (rewritten.Count > 0)
        {
            await using var update = new NpgsqlCommand(
                """
                UPDATE event_personal p SET record = u.record, text = u.text, email = u.email, ip = u.ip
                FROM unnest($2::bigint[], $3::bytea[], $4::text[], $5::text[], $6::bytea[]) AS u(seq, record, text, email, ip)
                WHERE p.tenant_id = $1 AND p.seq = u.seq
                """, connection, tx);
            update.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Seq).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.Values!).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.PersonalText).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.ActorEmail).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.Ip).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            await update.ExecuteNonQueryAsync(ct);
        }

        await UpdateMarkedEmailsAsync(connection, tx, tenantId, marked, ct);
        return erased + deleted.Count + rewritten.Count;
    }

    /// <summary>Sets the marked emails of the given events' event_ids rows to what their values still hold.</summary>
    private static async Task UpdateMarkedEmailsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, List<(long Seq, string[]? Emails)> marked, CancellationToken ct)
    {
        if (marked.Count == 0)
        {
            return;
        }

        await using var batchUpdate = new NpgsqlBatch(connection, tx);
        foreach (var (seq, emails) in marked)
        {
            var command = new NpgsqlBatchCommand("UPDATE event_ids SET marked_emails = $3 WHERE tenant_id = $1 AND seq = $2 AND marked_emails IS NOT NULL");
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = seq });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)emails ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            batchUpdate.BatchCommands.Add(command);
        }

        await batchUpdate.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Rewrites the rows matching <paramref name="where"/> (<c>$1</c> the tenant id, <c>$2</c> <paramref name="value"/>):
    /// every personal value (<paramref name="onlyEmails"/> null), or only the marked values holding one of
    /// <paramref name="onlyEmails"/>; then rebuilds the free-text blocks holding them. Collects the actor ids and emails
    /// of the rows read into <paramref name="actors"/> and <paramref name="actorEmails"/> when given.
    /// </summary>
    private static async Task<(long Erased, long Kept)> RewriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, string where, object value, IReadOnlySet<string>? onlyEmails,
        HashSet<string>? actors, HashSet<string>? actorEmails, List<long> changed, CancellationToken ct)
    {
        var rows = new List<(long Seq, DateTime ReceivedAt, byte[] Body, byte[]? Personal, short? Omitted)>();
        await using (var select = new NpgsqlCommand(
            $"SELECT e.seq, e.received_at, e.body, e.personal, i.client_omitted, e.actor_id, e.actor_email FROM events e JOIN event_ids i ON i.tenant_id = e.tenant_id AND i.seq = e.seq WHERE {where}",
            connection, tx))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            select.Parameters.Add(new NpgsqlParameter { Value = value });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (actors is not null && !reader.IsDBNull(5))
                {
                    actors.Add(reader.GetString(5));
                }

                if (actorEmails is not null && !reader.IsDBNull(6))
                {
                    actorEmails.Add(reader.GetString(6));
                }

                var personal = reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3);
                if (personal is not null && Events.PersonalValues.IsCommitted(personal))
                {
                    continue;
                }

                rows.Add((reader.GetInt64(0), reader.GetDateTime(1), reader.GetFieldValue<byte[]>(2), personal, reader.IsDBNull(4) ? null : reader.GetInt16(4)));
            }
        }

        long erased = 0;
        var kept = onlyEmails is null ? rows.Count(r => r.Personal is null) : 0;
        foreach (var batch in rows.Where(r => r.Personal is not null).Chunk(ErasureBatch))
        {
            var rewritten = batch
                .Select(r => (r.Seq, r.ReceivedAt, r.Body, r.Personal, Row: onlyEmails is null
                    ? PersonalErasure.Rewrite(r.Body, r.Personal!, r.Omitted is { } flags ? (Events.ClientOmitted)flags : null)
                    : PersonalErasure.RewriteEmails(r.Body, r.Personal!, r.Omitted is { } only ? (Events.ClientOmitted)only : null, onlyEmails)))
                .Where(r => r.Row is not null)
                .Select(r => (r.Seq, r.ReceivedAt, r.Body, r.Personal, Row: r.Row!))
                .ToArray();
            if (rewritten.Length == 0)
            {
                continue;
            }

            await using (var update = new NpgsqlCommand(
                """
                UPDATE events e SET body = u.body, personal = u.personal, actor_email = u.email, ip = u.ip, search_text = u.text
                FROM unnest($2::bigint[], $3::timestamptz[], $4::bytea[], $5::bytea[], $6::text[], $7::bytea[], $8::text[]) AS u(seq, received_at, body, personal, email, ip, text)
                WHERE e.tenant_id = $1 AND e.seq = u.seq AND e.received_at = u.received_at
                """, connection, tx))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Seq).ToArray() });
                update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.ReceivedAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
                update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.Body).ToArray() });
                update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.Personal).ToArray() });
                update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.Keys.ActorEmail).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.Keys.Ip).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
                update.Parameters.Add(new NpgsqlParameter { Value = rewritten.Select(r => r.Row.Keys.SearchText).ToArray() });
                await update.ExecuteNonQueryAsync(ct);
            }

            var digests = rewritten.Where(r => r.Row.ContentDigest is not null).ToArray();
            if (digests.Length > 0)
            {
                await using var update = new NpgsqlCommand(
                    """
                    UPDATE event_ids i SET content_digest = u.digest
                    FROM unnest($2::bigint[], $3::bytea[]) AS u(seq, digest)
                    WHERE i.tenant_id = $1 AND i.seq = u.seq
                    """, connection, tx);
                update.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                update.Parameters.Add(new NpgsqlParameter { Value = digests.Select(r => r.Seq).ToArray() });
                update.Parameters.Add(new NpgsqlParameter { Value = digests.Select(r => r.Row.ContentDigest!).ToArray() });
                await update.ExecuteNonQueryAsync(ct);
            }

            // The marked emails an event's values no longer hold leave the index (only events with marked paths have any).
            await UpdateMarkedEmailsAsync(connection, tx, tenantId,
                [.. rewritten.Where(r => (r.Personal![0] & Events.PersonalValues.Marked) != 0).Select(r => (r.Seq, r.Row.MarkedEmails))], ct);
            changed.AddRange(rewritten.Select(r => r.Seq));
            erased += rewritten.Length;
        }

        return (erased, kept);
    }

    /// <summary>
    /// Records every block of the tenant holding one of <paramref name="seqs"/> (ascending) as stale (<c>text_blocks_stale</c>),
    /// for <see cref="RebuildStaleTextBlocksAsync"/> to rebuild after the erasure.
    /// </summary>
    private static async Task MarkStaleTextBlocksAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, List<long> seqs, CancellationToken ct)
    {
        if (seqs.Count == 0)
        {
            return;
        }

        var blocks = new List<(long Id, long First, long Last)>();
        await using (var select = new NpgsqlCommand(
            "SELECT block_id, first_seq, last_seq FROM text_blocks WHERE tenant_id = $1 AND last_seq >= $2 AND first_seq <= $3 ORDER BY last_seq", connection, tx))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            select.Parameters.Add(new NpgsqlParameter { Value = seqs[0] });
            select.Parameters.Add(new NpgsqlParameter { Value = seqs[^1] });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                blocks.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        var stale = TextBlocksHolding.Seqs(blocks, seqs).Select(b => b.Id).ToArray();
        if (stale.Length > 0)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO text_blocks_stale (tenant_id, block_id) SELECT $1, b FROM unnest($2::bigint[]) AS b ON CONFLICT DO NOTHING", connection, tx);
            insert.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            insert.Parameters.Add(new NpgsqlParameter { Value = stale });
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Sets again the trigrams of up to <paramref name="maxBlocks"/> of the tenant's stale blocks (<c>text_blocks_stale</c>)
    /// from their events' search text as it is now (<c>events_joined</c>), so no block's trigrams derive from an erased value
    /// any more; the blocks' seq and time ranges do not change. One transaction; returns how many blocks it rebuilt (a block
    /// a purge removed meanwhile counts, and is forgotten).
    /// </summary>
    public async Task<int> RebuildStaleTextBlocksAsync(string tenant, int maxBlocks, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        if (await TenantIdAsync(connection, tenant, ct) is not { } tenantId)
        {
            return 0;
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        var blocks = new List<(long Tenant, long Id, long First, long Last)>();
        var gone = new List<(long Tenant, long Id)>();
        await using (var select = new NpgsqlCommand(
            """
            DELETE FROM text_blocks_stale s WHERE s.tenant_id = $1 AND s.block_id IN (
                SELECT block_id FROM text_blocks_stale WHERE tenant_id = $1 ORDER BY block_id LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING s.tenant_id, s.block_id, (SELECT b.first_seq FROM text_blocks b WHERE b.block_id = s.block_id), (SELECT b.last_seq FROM text_blocks b WHERE b.block_id = s.block_id)
            """, connection, tx))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            select.Parameters.Add(new NpgsqlParameter { Value = maxBlocks });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (reader.IsDBNull(2))
                {
                    gone.Add((reader.GetInt64(0), reader.GetInt64(1)));
                    continue;
                }

                blocks.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        await RebuildTextBlocksAsync(connection, tx, tenantId, [.. blocks.Select(b => (b.Id, b.First, b.Last))], ct);

        await tx.CommitAsync(ct);
        return blocks.Count + gone.Count;
    }

    /// <summary>Sets again the trigrams of the given blocks of the tenant from their events' search text as it is now.</summary>
    private static async Task RebuildTextBlocksAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long tenantId, List<(long Id, long First, long Last)> blocks, CancellationToken ct)
    {
        foreach (var chunk in blocks.Chunk(ErasureBatch / 4))
        {
            // The search text of the chunk's blocks in one read, each block's seq range read on its own from every partition's
            // (tenant_id, seq) key as free-text search reads it (a join through event_ids let the planner hash-join whole
            // tables once per chunk), then one UPDATE per block in one round trip.
            var trigrams = chunk.ToDictionary(b => b.Id, _ => new HashSet<int>());
            await using (var read = new NpgsqlCommand(
                """
                SELECT b.id, e.search_text FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS b(id, first_seq, last_seq)
                CROSS JOIN LATERAL (SELECT x.search_text FROM events_joined x WHERE x.tenant_id = $1 AND x.seq BETWEEN b.first_seq AND b.last_seq OFFSET 0) e
                """, connection, tx))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                read.Parameters.Add(new NpgsqlParameter { Value = chunk.Select(b => b.Id).ToArray() });
                read.Parameters.Add(new NpgsqlParameter { Value = chunk.Select(b => b.First).ToArray() });
                read.Parameters.Add(new NpgsqlParameter { Value = chunk.Select(b => b.Last).ToArray() });
                await using var reader = await read.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    TextTrigrams.Add(reader.GetString(1), trigrams[reader.GetInt64(0)]);
                }
            }

            await using var batch = new NpgsqlBatch(connection, tx);
            foreach (var (id, set) in trigrams)
            {
                var keys = set.ToArray();
                Array.Sort(keys);
                var command = new NpgsqlBatchCommand("UPDATE text_blocks SET trigrams = $2 WHERE block_id = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = id });
                command.Parameters.Add(new NpgsqlParameter { Value = (int[])[TenantElement(tenantId), .. keys] });
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(ct);
        }
    }
}
