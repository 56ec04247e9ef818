using Npgsql;
using NpgsqlTypes;
using Witness.Streams;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IStreamStore
{
    public Task<IReadOnlyList<LogStream>> ListStreamsAsync(string tenant, CancellationToken ct) =>
        QueryAsync($"SELECT {StoreRows.StreamColumns} FROM log_streams WHERE tenant = $1 ORDER BY created_at, id", Rows.Stream, ct, tenant);

    public Task<IReadOnlyList<LogStream>> ListActiveStreamsAsync(CancellationToken ct) =>
        QueryAsync($"SELECT {StoreRows.StreamColumns} FROM log_streams WHERE NOT paused ORDER BY created_at, id", Rows.Stream, ct);

    public async Task<LogStream?> FindStreamAsync(string tenant, string id, CancellationToken ct) =>
        (await QueryAsync($"SELECT {StoreRows.StreamColumns} FROM log_streams WHERE tenant = $1 AND id = $2", Rows.Stream, ct, tenant, id)).FirstOrDefault();

    public Task CreateStreamAsync(LogStream s, CancellationToken ct) =>
        NonQueryAsync(
            $"INSERT INTO log_streams ({StoreRows.StreamColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, NULL, NULL)",
            ct, s.Id, s.Tenant, s.Name, s.Kind, s.Url, s.Format, Nullable(s.Secret, NpgsqlDbType.Text), Nullable(s.CaPem, NpgsqlDbType.Text),
            Nullable(s.PinnedSha256, NpgsqlDbType.Text), s.Types.ToArray(), s.Categories.ToArray(), s.Query, s.Paused, s.CreatedAt.UtcDateTime, s.UpdatedAt.UtcDateTime,
            s.Progress.DeliveredSeq, StreamTime(s.Progress.DeliveredAt), Nullable(s.Progress.LastError, NpgsqlDbType.Text), StreamTime(s.Progress.LastErrorAt),
            StreamTime(s.Progress.FailingSince), s.Progress.FailureRecorded);

    public async Task<bool> UpdateStreamAsync(LogStream s, CancellationToken ct) =>
        (await QueryAsync(
            """
            UPDATE log_streams SET name = $3, url = $4, format = $5, secret = $6, ca_pem = $7, pinned_sha256 = $8, types = $9,
                categories = $10, query = $11, paused = $12, updated_at = $13
            WHERE tenant = $1 AND id = $2 RETURNING id
            """,
            r => r.GetString(0), ct, s.Tenant, s.Id, s.Name, s.Url, s.Format, Nullable(s.Secret, NpgsqlDbType.Text), Nullable(s.CaPem, NpgsqlDbType.Text),
            Nullable(s.PinnedSha256, NpgsqlDbType.Text), s.Types.ToArray(), s.Categories.ToArray(), s.Query, s.Paused, s.UpdatedAt.UtcDateTime)).Count > 0;

    public async Task<bool> DeleteStreamAsync(string tenant, string id, CancellationToken ct) =>
        (await QueryAsync("DELETE FROM log_streams WHERE tenant = $1 AND id = $2 RETURNING id", r => r.GetString(0), ct, tenant, id)).Count > 0;

    /// <summary>One conditional UPDATE: of instances trying at once, the row lock lets one through and the others see its lease.</summary>
    public async Task<bool> TryLeaseStreamAsync(string id, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct) =>
        (await QueryAsync(
            """
            UPDATE log_streams SET lease_owner = $2, lease_until = $4
            WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $3) RETURNING id
            """,
            r => r.GetString(0), ct, id, owner, now.UtcDateTime, until.UtcDateTime)).Count > 0;

    public Task ReleaseStreamLeaseAsync(string id, string owner, CancellationToken ct) =>
        NonQueryAsync("UPDATE log_streams SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2", ct, id, owner);

    public async Task<bool> SaveStreamProgressAsync(string id, string owner, StreamProgress p, CancellationToken ct) =>
        (await QueryAsync(
            """
            UPDATE log_streams SET delivered_seq = $3, delivered_at = $4, last_error = $5, last_error_at = $6, failing_since = $7, failure_recorded = $8
            WHERE id = $1 AND lease_owner = $2 RETURNING id
            """,
            r => r.GetString(0), ct, id, owner, p.DeliveredSeq, StreamTime(p.DeliveredAt), Nullable(p.LastError, NpgsqlDbType.Text), StreamTime(p.LastErrorAt),
            StreamTime(p.FailingSince), p.FailureRecorded)).Count > 0;

    public async Task<IReadOnlyList<StoredEvent>> ReadEventsAfterAsync(string tenant, long afterSeq, int max, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        if (await TenantIdAsync(connection, tenant, ct) is not { } tenantId)
        {
            return [];
        }

        await using var command = Command(connection, "SELECT seq, body, hash FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", [tenantId, afterSeq, max]);
        var events = new List<StoredEvent>(Math.Min(max, 10_000));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2)));
        }

        return events;
    }

    private static NpgsqlParameter StreamTime(DateTimeOffset? value) => Nullable(value?.UtcDateTime, NpgsqlDbType.TimestampTz);
}
