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

    public Task CreateStreamAsync(LogStream stream, CancellationToken ct) =>
        NonQueryAsync(
            $"INSERT INTO log_streams ({StoreRows.StreamColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, NULL, NULL)",
            ct, stream.Id, stream.Tenant, stream.Name, stream.Kind, stream.Url, stream.Format, Nullable(stream.Secret, NpgsqlDbType.Text), Nullable(stream.CaPem, NpgsqlDbType.Text),
            Nullable(stream.PinnedSha256, NpgsqlDbType.Text), stream.Types.ToArray(), stream.Categories.ToArray(), stream.Query, stream.Paused, stream.CreatedAt.UtcDateTime, stream.UpdatedAt.UtcDateTime,
            stream.Progress.DeliveredSeq, StreamTime(stream.Progress.DeliveredAt), Nullable(stream.Progress.LastError, NpgsqlDbType.Text), StreamTime(stream.Progress.LastErrorAt),
            StreamTime(stream.Progress.FailingSince), stream.Progress.FailureRecorded);

    public async Task<bool> UpdateStreamAsync(LogStream stream, CancellationToken ct) =>
        (await QueryAsync(
            """
            UPDATE log_streams SET name = $3, url = $4, format = $5, secret = $6, ca_pem = $7, pinned_sha256 = $8, types = $9,
                categories = $10, query = $11, paused = $12, updated_at = $13
            WHERE tenant = $1 AND id = $2 RETURNING id
            """,
            r => r.GetString(0), ct, stream.Tenant, stream.Id, stream.Name, stream.Url, stream.Format, Nullable(stream.Secret, NpgsqlDbType.Text), Nullable(stream.CaPem, NpgsqlDbType.Text),
            Nullable(stream.PinnedSha256, NpgsqlDbType.Text), stream.Types.ToArray(), stream.Categories.ToArray(), stream.Query, stream.Paused, stream.UpdatedAt.UtcDateTime)).Count > 0;

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

    public async Task<bool> SaveStreamProgressAsync(string id, string owner, StreamProgress progress, CancellationToken ct) =>
        (await QueryAsync(
            """
            UPDATE log_streams SET delivered_seq = $3, delivered_at = $4, last_error = $5, last_error_at = $6, failing_since = $7, failure_recorded = $8
            WHERE id = $1 AND lease_owner = $2 RETURNING id
            """,
            r => r.GetString(0), ct, id, owner, progress.DeliveredSeq, StreamTime(progress.DeliveredAt), Nullable(progress.LastError, NpgsqlDbType.Text), StreamTime(progress.LastErrorAt),
            StreamTime(progress.FailingSince), progress.FailureRecorded)).Count > 0;

    public async Task<IReadOnlyList<StoredEvent>> ReadEventsAfterAsync(string tenant, long afterSeq, int max, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        if (await TenantIdAsync(connection, tenant, ct) is not { } tenantId)
        {
            return [];
        }

        await using var command = Command(connection, "SELECT seq, body, hash, personal, personal_values FROM events_joined WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", [tenantId, afterSeq, max]);
        var events = new List<StoredEvent>(Math.Min(max, 10_000));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(PostgresSplitRows.Event(reader.GetInt64(0), reader, 1));
        }

        return events;
    }

    private static NpgsqlParameter StreamTime(DateTimeOffset? value) => Nullable(value?.UtcDateTime, NpgsqlDbType.TimestampTz);
}
