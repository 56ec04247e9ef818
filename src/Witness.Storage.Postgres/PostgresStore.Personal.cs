using Npgsql;
using NpgsqlTypes;
using Witness.Privacy;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IPersonalDataStore
{
    private const int ErasureBatch = 2000;

    public Task<ErasureCount> EraseSubjectAsync(string tenant, ErasureSubject subject, CancellationToken ct) =>
        subject.Email is { } email
            // By email: its events, and every event of the actor ids seen with it.
            ? EraseAsync(tenant,
                """
                e.tenant_id = $1 AND (e.actor_email = $2 OR e.actor_id IN (
                    SELECT DISTINCT actor_id FROM events WHERE tenant_id = $1 AND actor_email = $2 AND actor_id IS NOT NULL))
                """, email, ct)
            : EraseAsync(tenant, "e.tenant_id = $1 AND e.actor_id = $2", subject.ActorId!, ct);

    public Task<ErasureCount> EraseReceivedBeforeAsync(string tenant, DateTimeOffset receivedBefore, CancellationToken ct) =>
        EraseAsync(tenant, "e.tenant_id = $1 AND e.received_at < $2 AND e.personal IS NOT NULL AND get_byte(e.personal, 0) = 1", receivedBefore.UtcDateTime, ct);

    /// <summary>
    /// One transaction: reads the matching rows, rewrites them through <see cref="PersonalErasure"/> and writes them
    /// back in batches (<c>events</c> and the content digest in <c>event_ids</c>). The old row versions stay in the
    /// table files until VACUUM reclaims them (docs/erasure.md).
    /// </summary>
    private async Task<ErasureCount> EraseAsync(string tenant, string where, object value, CancellationToken ct)
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

        var rows = new List<(long Seq, DateTime ReceivedAt, byte[] Body, byte[]? Personal, short? Omitted)>();
        await using (var select = new NpgsqlCommand(
            $"SELECT e.seq, e.received_at, e.body, e.personal, i.client_omitted FROM events e JOIN event_ids i ON i.tenant_id = e.tenant_id AND i.seq = e.seq WHERE {where}",
            connection, tx))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
            select.Parameters.Add(new NpgsqlParameter { Value = value });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var personal = reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3);
                if (personal is { Length: > 0 } && personal[0] == Events.PersonalValues.Committed)
                {
                    continue;
                }

                rows.Add((reader.GetInt64(0), reader.GetDateTime(1), reader.GetFieldValue<byte[]>(2), personal, reader.IsDBNull(4) ? null : reader.GetInt16(4)));
            }
        }

        long erased = 0;
        var kept = rows.Count(r => r.Personal is null);
        foreach (var batch in rows.Where(r => r.Personal is not null).Chunk(ErasureBatch))
        {
            var rewritten = batch.Select(r => (r.Seq, r.ReceivedAt, Row: PersonalErasure.Rewrite(r.Body, r.Personal!, r.Omitted is { } flags ? (Events.ClientOmitted)flags : null)!)).ToArray();
            await using (var update = new NpgsqlCommand(
                """
                UPDATE events e SET body = u.body, personal = u.personal, actor_email = u.email, ip = u.ip, search_text = u.text
                FROM unnest($2::bigint[], $3::timestamptz[], $4::bytea[], $5::bytea[], $6::text[], $7::bytea[], $8::text[]) AS u(seq, received_at, body, personal, email, ip, text)
                WHERE e.tenant_id = $1 AND e.seq = u.seq AND e.received_at = u.received_at
                """, connection, tx))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
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
                update.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
                update.Parameters.Add(new NpgsqlParameter { Value = digests.Select(r => r.Seq).ToArray() });
                update.Parameters.Add(new NpgsqlParameter { Value = digests.Select(r => r.Row.ContentDigest!).ToArray() });
                await update.ExecuteNonQueryAsync(ct);
            }

            erased += rewritten.Length;
        }

        await tx.CommitAsync(ct);
        return new ErasureCount(erased, kept);
    }
}
