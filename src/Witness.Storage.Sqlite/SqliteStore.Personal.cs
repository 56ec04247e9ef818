using Microsoft.Data.Sqlite;
using Witness.Privacy;

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
            var where = "tenant_id = $t AND actor_id IN (SELECT value FROM json_each($ids))";
            if (subject.Email is not null && ids.Contains(""))
            {
                where = $"({where}) OR (rid >= $lo AND rid < $hi AND actor_id IS NULL AND actor_email = $e)";
            }

            var count = await RewriteAsync(connection, tx, tenantId, where, ct, ("$ids", System.Text.Json.JsonSerializer.Serialize(named)), ("$e", subject.Email ?? ""));
            // The subject's pairs leave the email index unless an event still carries them (one kept in leaf version 1).
            await using var forget = Command(connection, tx,
                $$"""
                DELETE FROM actor_emails WHERE tenant_id = $t AND (email = $e OR (actor_id <> '' AND actor_id IN (SELECT value FROM json_each($ids))))
                AND {{StillCarried}}
                """,
                ("$t", tenantId), ("$e", subject.Email ?? ""), ("$ids", System.Text.Json.JsonSerializer.Serialize(named)), ("$lo", Rid(tenantId, 1)), ("$hi", Rid(tenantId + 1, 0)));
            await forget.ExecuteNonQueryAsync(ct);
            return count;
        }, ct);

    public Task<ErasureCount> EraseReceivedBeforeAsync(string tenant, DateTimeOffset receivedBefore, CancellationToken ct) =>
        EraseAsync(tenant, async (connection, tx, tenantId) =>
        {
            var count = await RewriteAsync(connection, tx, tenantId, "rid >= $lo AND rid < $hi AND received_at < $before AND personal IS NOT NULL AND substr(personal, 1, 1) = x'01'", ct, ("$before", EventIndexKeys.Micros(receivedBefore)));

            // An email pair no event carries any more leaves the email index.
            await using var forget = Command(connection, tx,
                $"DELETE FROM actor_emails WHERE tenant_id = $t AND {StillCarried}", ("$t", tenantId), ("$lo", Rid(tenantId, 1)), ("$hi", Rid(tenantId + 1, 0)));
            await forget.ExecuteNonQueryAsync(ct);
            return count;
        }, ct);

    /// <summary>
    /// An <c>actor_emails</c> row no event carries any more (<c>$t</c>, <c>$lo</c>, <c>$hi</c> given): through the
    /// actor index for a pair with an actor id, a scan of the tenant's rows for one without.
    /// </summary>
    private const string StillCarried =
        """
        NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = actor_emails.tenant_id AND e.actor_id = actor_emails.actor_id AND e.actor_email = actor_emails.email)
        AND NOT (actor_emails.actor_id = '' AND EXISTS (SELECT 1 FROM events e WHERE e.rid >= $lo AND e.rid < $hi AND e.actor_id IS NULL AND e.actor_email = actor_emails.email))
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

            ErasureCount count;
            await using (var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct))
            {
                count = await work(connection, tx, tenantId.Value);
                await tx.CommitAsync(ct);
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

    /// <summary>Rewrites the tenant's events matching <paramref name="where"/> (<c>$t</c>, <c>$lo</c>, <c>$hi</c> given) through <see cref="PersonalErasure"/>.</summary>
    private static async Task<ErasureCount> RewriteAsync(
        SqliteConnection connection, SqliteTransaction tx, long tenantId, string where, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        var rows = new List<(long Rid, byte[] Body, byte[]? Personal, long? Omitted)>();
        await using (var select = Command(connection, tx, $"SELECT rid, body, personal, client_omitted FROM events WHERE {where}",
            [("$t", tenantId), ("$lo", Rid(tenantId, 1)), ("$hi", Rid(tenantId + 1, 0)), .. parameters.Where(p => where.Contains(p.Name, StringComparison.Ordinal))]))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var personal = reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2);
                if (personal is { Length: > 0 } && personal[0] == Events.PersonalValues.Committed)
                {
                    continue;
                }

                rows.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), personal, reader.IsDBNull(3) ? null : reader.GetInt64(3)));
            }
        }

        long erased = 0, kept = 0;
        await using var update = Command(connection, tx,
            "UPDATE events SET body = $body, personal = $personal, actor_email = $email, ip = $ip, search_text = $text, content_digest = coalesce($digest, content_digest) WHERE rid = $rid",
            ("$body", Array.Empty<byte>()), ("$personal", Array.Empty<byte>()), ("$email", DBNull.Value), ("$ip", DBNull.Value), ("$text", ""), ("$digest", DBNull.Value), ("$rid", 0L));
        foreach (var (rid, body, personal, omitted) in rows)
        {
            if (personal is null)
            {
                kept++;
                continue;
            }

            var row = PersonalErasure.Rewrite(body, personal, omitted is { } flags ? (Events.ClientOmitted)flags : null)!;
            update.Parameters["$body"].Value = row.Body;
            update.Parameters["$personal"].Value = row.Personal;
            update.Parameters["$email"].Value = (object?)row.Keys.ActorEmail ?? DBNull.Value;
            update.Parameters["$ip"].Value = (object?)row.Keys.Ip ?? DBNull.Value;
            update.Parameters["$text"].Value = row.Keys.SearchText;
            update.Parameters["$digest"].Value = (object?)row.ContentDigest ?? DBNull.Value;
            update.Parameters["$rid"].Value = rid;
            await update.ExecuteNonQueryAsync(ct);
            erased++;
        }

        return new ErasureCount(erased, kept);
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
