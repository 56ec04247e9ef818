using Microsoft.Data.Sqlite;
using Witness.Privacy;
using Witness.Search;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IPersonalDataStore
{
    public Task<ErasureCount> EraseSubjectAsync(string tenant, ErasureSubject subject, CancellationToken ct) =>
        EraseAsync(tenant, async (connection, tx, tenantId) =>
        {
            // By email: the actor ids seen with it (the email index), whose events are all the subject's, and the
            // events without an actor id that carry the email. By actor id: that actor's events.
            var ids = new List<string>();
            if (subject.Email is { } email)
            {
                await using var select = Command(connection, tx, "SELECT actor_id FROM actor_emails WHERE tenant_id = $t AND email = $e", ("$t", tenantId), ("$e", email));
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    ids.Add(reader.GetString(0));
                }
            }
            else
            {
                ids.Add(subject.ActorId!);
            }

            var named = ids.Where(id => id.Length > 0).ToList();
            var idsJson = System.Text.Json.JsonSerializer.Serialize(named);
            var old = Rid(tenantId, await UnsplitThroughAsync(connection, tx, tenantId, ct));
            var emails = new HashSet<string>(StringComparer.Ordinal);
            var erased = new List<long>();

            // Rows of the old layout (up to the seq the log had at migration 029) are rewritten as before.
            var count = ErasureCount.None;
            if (old > Rid(tenantId, 0))
            {
                var where = "tenant_id = $t AND actor_id IN (SELECT value FROM json_each($ids)) AND rid <= $old";
                if (subject.Email is not null && ids.Contains(""))
                {
                    where = $"({where}) OR (rid >= $lo AND rid <= $old AND actor_id IS NULL AND actor_email = $e)";
                }

                count = await RewriteAsync(connection, tx, tenantId, where, null, emails, ct, ("$ids", idsJson), ("$e", subject.Email ?? ""), ("$old", old));
            }

            // Split rows: only their side rows change, found by subject (the actor ids, and the email for events without one).
            var subjects = named.Select(id => Subject(id, null)).ToList();
            if (subject.Email is not null && ids.Contains(""))
            {
                subjects.Add(Subject(null, subject.Email));
            }

            var split = await EraseSplitAsync(connection, tx, tenantId,
                "event_personal p WHERE p.tenant_id = $t AND p.bucket IN (SELECT witness_subject_bucket(value) FROM json_each($subjects)) AND p.subject IN (SELECT value FROM json_each($subjects))",
                null, emails, erased, ct, ("$subjects", System.Text.Json.JsonSerializer.Serialize(subjects)));

            // Other actors' events whose marked values hold one of the subject's emails (the one it was named by, and those
            // its events carried), through the index of marked emails: only those values, and their copies in a rendered
            // description, are erased.
            if (subject.Email is { } namedEmail)
            {
                emails.Add(namedEmail);
            }

            if (emails.Count > 0)
            {
                var emailsJson = System.Text.Json.JsonSerializer.Serialize(emails);
                var holding = old > Rid(tenantId, 0)
                    ? await RewriteAsync(connection, tx, tenantId,
                        "rid IN (SELECT $base + seq FROM marked_emails WHERE tenant_id = $t AND email IN (SELECT value FROM json_each($emails))) AND rid <= $old", emails, null, ct,
                        ("$base", Rid(tenantId, 0)), ("$emails", emailsJson), ("$old", old))
                    : ErasureCount.None;
                split += await EraseSplitAsync(connection, tx, tenantId,
                    "marked_emails m CROSS JOIN event_personal p ON p.rid = $base + m.seq WHERE m.tenant_id = $t AND m.email IN (SELECT value FROM json_each($emails))",
                    emails, null, erased, ct, ("$base", Rid(tenantId, 0)), ("$emails", emailsJson));
                count = new ErasureCount(count.Events + holding.Events, count.Kept);
            }

            count = new ErasureCount(count.Events + split, count.Kept);
            await MarkTextBlocksStaleAsync(connection, tx, tenantId, erased, ct);

            // The subject's pairs leave the email index unless an event still carries them (one kept in leaf version 1).
            await using var forget = Command(connection, tx,
                $$"""
                DELETE FROM actor_emails WHERE tenant_id = $t AND (email = $e OR (actor_id <> '' AND actor_id IN (SELECT value FROM json_each($ids))))
                AND {{StillCarried}}
                """,
                ("$t", tenantId), ("$e", subject.Email ?? ""), ("$ids", idsJson), ("$lo", Rid(tenantId, 1)), ("$hi", Rid(tenantId + 1, 0)), ("$old", old));
            await forget.ExecuteNonQueryAsync(ct);

            // What first-seen alert rules remember of the subject (the actor key is the actor id, or the email of an
            // event without one, as AlertService keys it) and the IPs or countries seen with it.
            await using var unseen = Command(connection, tx,
                """
                DELETE FROM alert_seen WHERE rule_id IN (SELECT id FROM alert_rules WHERE tenant = $tenant)
                AND (actor = $e OR actor IN (SELECT value FROM json_each($ids)))
                """,
                ("$tenant", tenant), ("$e", subject.Email ?? ""), ("$ids", idsJson));
            await unseen.ExecuteNonQueryAsync(ct);
            return count;
        }, ct);

    public Task<ErasureCount> EraseReceivedBeforeAsync(string tenant, DateTimeOffset receivedBefore, CancellationToken ct) =>
        EraseAsync(tenant, async (connection, tx, tenantId) =>
        {
            var old = Rid(tenantId, await UnsplitThroughAsync(connection, tx, tenantId, ct));
            var before = EventIndexKeys.Micros(receivedBefore);
            var count = old > Rid(tenantId, 0)
                ? await RewriteAsync(connection, tx, tenantId, "rid >= $lo AND rid <= $old AND received_at < $before AND personal IS NOT NULL AND substr(personal, 1, 1) IN (x'01', x'81', x'03', x'83')", null, null, ct, ("$before", before), ("$old", old))
                : ErasureCount.None;

            // Split rows: the tenant's side rows (fewer and smaller than its events), each event's received time read beside.
            var erased = new List<long>();
            var split = await EraseSplitAsync(connection, tx, tenantId,
                "event_personal p CROSS JOIN events e ON e.rid = p.rid WHERE p.tenant_id = $t AND e.received_at < $before",
                null, null, erased, ct, ("$before", before));
            count = new ErasureCount(count.Events + split, count.Kept);
            await MarkTextBlocksStaleAsync(connection, tx, tenantId, erased, ct);

            // An email pair no event carries any more leaves the email index.
            await using var forget = Command(connection, tx,
                $"DELETE FROM actor_emails WHERE tenant_id = $t AND {StillCarried}", ("$t", tenantId), ("$lo", Rid(tenantId, 1)), ("$hi", Rid(tenantId + 1, 0)), ("$old", old));
            await forget.ExecuteNonQueryAsync(ct);
            return count;
        }, ct);

    private const int ErasureCacheSizeKib = 262_144;

    private const long ErasureMmapSize = 2_147_418_112;

    /// <summary>The writer connection's <c>PRAGMA data_version</c> when the remembered email-index pairs were last known true.</summary>
    private long _emailPairsDataVersion = -1;

    /// <summary>
    /// Forgets the email-index pairs the writer remembers (<see cref="_knownEmailPairs"/>) when another connection has
    /// committed since the writer last looked: <c>witness erase</c> (or <c>witness tenants delete</c>) run by another
    /// process on the database of a running server removes pairs the server would otherwise still believe stored, and
    /// a later event of the subject would then be missing from the email index. <c>PRAGMA data_version</c> of a
    /// connection changes exactly when another connection commits; read inside the append's write transaction, no
    /// other commit can come between it and the append.
    /// </summary>
    private async Task ForgetEmailPairsIfWrittenElsewhereAsync(SqliteConnection connection, SqliteTransaction tx, CancellationToken ct)
    {
        var version = Convert.ToInt64(await ScalarAsync(connection, "PRAGMA data_version", ct, tx), System.Globalization.CultureInfo.InvariantCulture);
        if (version != _emailPairsDataVersion)
        {
            _knownEmailPairs.Clear();
            _emailPairsDataVersion = version;
        }
    }

    /// <summary>
    /// An <c>actor_emails</c> row no event carries any more (<c>$t</c>, <c>$lo</c> and <c>$old</c>, the rid of the last row of
    /// the old layout, given): an old row's email through the actor index for a pair with an actor id, a scan of the old rows
    /// for one without; a split row's through its side rows, kept by subject (<see cref="Subject"/>).
    /// </summary>
    private const string StillCarried =
        """
        NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = actor_emails.tenant_id AND e.actor_id = actor_emails.actor_id AND e.rid <= $old AND e.actor_email = actor_emails.email)
        AND NOT (actor_emails.actor_id = '' AND EXISTS (SELECT 1 FROM events e WHERE e.rid >= $lo AND e.rid <= $old AND e.actor_id IS NULL AND e.actor_email = actor_emails.email))
        AND NOT EXISTS (SELECT 1 FROM event_personal p WHERE p.tenant_id = actor_emails.tenant_id AND p.email = actor_emails.email
                        AND p.bucket = witness_subject_bucket(CASE actor_emails.actor_id WHEN '' THEN 'e:' || actor_emails.email ELSE 'i:' || actor_emails.actor_id END)
                        AND p.subject = CASE actor_emails.actor_id WHEN '' THEN 'e:' || actor_emails.email ELSE 'i:' || actor_emails.actor_id END)
        """;

    /// <summary>
    /// One erasure transaction on the write connection (opened with <c>secure_delete</c> on, so the cells and
    /// pages the old values leave are zeroed), then a truncating WAL checkpoint, so no copy stays in the -wal
    /// file, retried while a reader keeps it from completing.
    /// </summary>
    private Task<ErasureCount> EraseAsync(string tenant, Func<SqliteConnection, SqliteTransaction, long, Task<ErasureCount>> work, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                return ErasureCount.None;
            }

            // An erasure dirties pages all over the events table (a subject in every tenth event touches most of them): a
            // larger page cache for it keeps them from spilling into the WAL and being looked up there again, and a larger
            // memory map reads the table without copying it. Both go back to the writer's settings afterwards.
            ErasureCount count;
            await ExecuteAsync(connection, $"PRAGMA cache_size=-{Math.Max(_options.CacheSizeKib, ErasureCacheSizeKib)}; PRAGMA mmap_size={ErasureMmapSize}", ct);
            try
            {
                await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
                count = await work(connection, tx, tenantId.Value);
                await ForgetKeyDaysAsync(connection, tx, tenantId.Value, ct);
                await tx.CommitAsync(ct);
            }
            finally
            {
                await ExecuteAsync(connection, $"PRAGMA cache_size=-{_options.CacheSizeKib}; PRAGMA mmap_size={WriterMmapSize}", CancellationToken.None);
            }

            // Pairs the erasure removed from the email index may be cached as stored.
            _knownEmailPairs.Clear();
            for (var attempt = 0; count.Events > 0 && attempt < 50; attempt++)
            {
                await using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                await using var reader = await checkpoint.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct) && reader.GetInt64(0) == 0)
                {
                    break;
                }

                await Task.Delay(20, ct);
            }

            return count;
        }, ct);

    /// <summary>
    /// Rewrites the tenant's events matching <paramref name="where"/> (<c>$t</c>, <c>$lo</c>, <c>$hi</c> given) through
    /// <see cref="PersonalErasure"/> with one prepared UPDATE: every personal value (<paramref name="onlyEmails"/> null), or
    /// only the marked values holding one of <paramref name="onlyEmails"/>; keeps the index of marked emails to what the
    /// values still hold, then rebuilds the free-text blocks holding them. Collects the actor emails of the rows it
    /// erases into <paramref name="actorEmails"/> when given.
    /// </summary>
    private static async Task<ErasureCount> RewriteAsync(
        SqliteConnection connection, SqliteTransaction tx, long tenantId, string where, IReadOnlySet<string>? onlyEmails, HashSet<string>? actorEmails,
        CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        var rows = new List<(long Rid, byte[] Body, byte[]? Personal, long? Omitted)>();
        await using (var select = Command(connection, tx, $"SELECT rid, body, personal, client_omitted, actor_email FROM events WHERE {where}",
            [("$t", tenantId), ("$lo", Rid(tenantId, 1)), ("$hi", Rid(tenantId + 1, 0)), .. parameters.Where(p => where.Contains(p.Name, StringComparison.Ordinal))]))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var personal = reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2);
                if (personal is not null && Events.PersonalValues.IsCommitted(personal))
                {
                    continue;
                }

                if (actorEmails is not null && !reader.IsDBNull(4))
                {
                    actorEmails.Add(reader.GetString(4));
                }

                rows.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), personal, reader.IsDBNull(3) ? null : reader.GetInt64(3)));
            }
        }

        // In row id order (sorted here: ORDER BY rid could make SQLite walk the whole table in that order instead of the
        // actor index), so each table page is read and dirtied once.
        rows.Sort((a, b) => a.Rid.CompareTo(b.Rid));
        long kept = 0;
        var erased = new List<long>(rows.Count);
        await using var update = Command(connection, tx,
            "UPDATE events SET body = $body, personal = $personal, actor_email = $email, ip = $ip, search_text = $text, content_digest = coalesce($digest, content_digest) WHERE rid = $rid",
            ("$body", Array.Empty<byte>()), ("$personal", Array.Empty<byte>()), ("$email", DBNull.Value), ("$ip", DBNull.Value), ("$text", ""), ("$digest", DBNull.Value), ("$rid", 0L));
        await using var unmark = Command(connection, tx, "DELETE FROM marked_emails WHERE tenant_id = $t AND email = $e AND seq = $seq", ("$t", tenantId), ("$e", ""), ("$seq", 0L));
        foreach (var (rid, body, personal, omitted) in rows)
        {
            if (personal is null)
            {
                kept += onlyEmails is null ? 1 : 0;
                continue;
            }

            var flags = omitted is { } o ? (Events.ClientOmitted)o : (Events.ClientOmitted?)null;
            var row = onlyEmails is null ? PersonalErasure.Rewrite(body, personal, flags) : PersonalErasure.RewriteEmails(body, personal, flags, onlyEmails);
            if (row is null)
            {
                continue;
            }

            update.Parameters["$body"].Value = row.Body;
            update.Parameters["$personal"].Value = row.Personal;
            update.Parameters["$email"].Value = (object?)row.Keys.ActorEmail ?? DBNull.Value;
            update.Parameters["$ip"].Value = (object?)row.Keys.Ip ?? DBNull.Value;
            update.Parameters["$text"].Value = row.Keys.SearchText;
            update.Parameters["$digest"].Value = (object?)row.ContentDigest ?? DBNull.Value;
            update.Parameters["$rid"].Value = rid;
            await update.ExecuteNonQueryAsync(ct);

            // The marked emails its values no longer hold leave the index (only events with marked paths have any).
            var seq = rid - Rid(tenantId, 0);
            if ((personal[0] & Events.PersonalValues.Marked) != 0 && Events.PersonalValues.MarkedEmails(body, personal) is { } before)
            {
                foreach (var email in before.Except(row.MarkedEmails ?? [], StringComparer.Ordinal))
                {
                    unmark.Parameters["$e"].Value = email;
                    unmark.Parameters["$seq"].Value = seq;
                    await unmark.ExecuteNonQueryAsync(ct);
                }
            }

            erased.Add(seq);
        }

        await RebuildTextBlocksAsync(connection, tx, tenantId, erased, ct);
        return new ErasureCount(erased.Count, kept);
    }

    /// <summary>
    /// Writes again the free-text document of every block of the tenant holding one of <paramref name="seqs"/> (ascending)
    /// from its events' search text as it is now, so no block's trigrams derive from an erased value any more: the FTS5
    /// row is deleted (secure_delete zeroes the cells it leaves) and inserted again under the same rowid; the block's seq
    /// and time ranges do not change.
    /// </summary>
    private static async Task RebuildTextBlocksAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, List<long> seqs, CancellationToken ct)
    {
        if (seqs.Count == 0)
        {
            return;
        }

        var blocks = await QueryListAsync(connection, tx,
            "SELECT block_id, first_seq, last_seq FROM text_blocks WHERE tenant_id = $p0 AND last_seq >= $p1 AND first_seq <= $p2 ORDER BY last_seq",
            r => (Id: r.GetInt64(0), First: r.GetInt64(1), Last: r.GetInt64(2)), ct, tenantId, seqs[0], seqs[^1]);
        await WriteTextBlocksAsync(connection, tx, tenantId, TextBlocksHolding.Seqs(blocks, seqs), ct);
    }

    /// <summary>
    /// Writes the free-text document of each of <paramref name="blocks"/> again from its events' text as it reads now (a
    /// split event's public text and its side row's text): the FTS5 row is deleted (secure_delete zeroes the cells it
    /// leaves) and inserted again under the same rowid; the block's seq and time ranges do not change.
    /// </summary>
    private static async Task WriteTextBlocksAsync(SqliteConnection connection, SqliteTransaction tx, long tenantId, IEnumerable<(long Id, long First, long Last)> blocks, CancellationToken ct)
    {
        // FTS5 buffers new documents in memory up to 'hashsize' bytes, then writes a segment, and merges segments as
        // they add up ('automerge'), reading every tombstone of the deleted documents each time: rebuilding thousands of
        // blocks cost more than the rest of the erasure. One buffer for the whole rebuild and one merge at the end.
        await ExecuteAsync(connection, tx, "INSERT INTO text_block_terms (text_block_terms, rank) VALUES ('hashsize', $p0), ('automerge', 0)", ct, 256L << 20);
        await using var read = Command(connection, tx, $"SELECT {TextSql} FROM events e {SqliteSearch.PersonalJoin} WHERE e.rid >= $first AND e.rid <= $last", ("$first", 0L), ("$last", 0L));
        await using var delete = Command(connection, tx, "DELETE FROM text_block_terms WHERE rowid = $id", ("$id", 0L));
        await using var insert = Command(connection, tx, "INSERT INTO text_block_terms (rowid, trigrams) VALUES ($id, $doc)", ("$id", 0L), ("$doc", ""));
        var trigrams = new HashSet<int>(4096);
        foreach (var (id, first, last) in blocks)
        {
            trigrams.Clear();
            read.Parameters["$first"].Value = Rid(tenantId, first);
            read.Parameters["$last"].Value = Rid(tenantId, last);
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    TextTrigrams.Add(reader.GetString(0), trigrams);
                }
            }

            var keys = trigrams.ToArray();
            Array.Sort(keys);
            delete.Parameters["$id"].Value = id;
            await delete.ExecuteNonQueryAsync(ct);
            insert.Parameters["$id"].Value = id;
            insert.Parameters["$doc"].Value = Document(tenantId, keys);
            await insert.ExecuteNonQueryAsync(ct);
        }

        // Back to FTS5's defaults (1 MiB, merge at 4 segments of a level) for appends.
        await ExecuteAsync(connection, tx, "INSERT INTO text_block_terms (text_block_terms, rank) VALUES ('hashsize', $p0), ('automerge', 4)", ct, 1L << 20);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
