using System.Text.Json;
using Witness.Streams;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IStreamStore
{
    public Task<IReadOnlyList<LogStream>> ListStreamsAsync(string tenant, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<LogStream>>(async connection =>
            await QueryListAsync(connection, null, $"SELECT {StoreRows.StreamColumns} FROM log_streams WHERE tenant = $p0 ORDER BY created_at, id", Rows.Stream, ct, tenant), ct);

    public Task<IReadOnlyList<LogStream>> ListActiveStreamsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<LogStream>>(async connection =>
            await QueryListAsync(connection, null, $"SELECT {StoreRows.StreamColumns} FROM log_streams WHERE paused = 0 ORDER BY created_at, id", Rows.Stream, ct), ct);

    public Task<LogStream?> FindStreamAsync(string tenant, string id, CancellationToken ct) =>
        ReadAsync(async connection =>
            await QueryRowAsync(connection, null, $"SELECT {StoreRows.StreamColumns} FROM log_streams WHERE tenant = $p0 AND id = $p1", Rows.Stream, ct, tenant, id), ct);

    public Task CreateStreamAsync(LogStream stream, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null,
                $"INSERT INTO log_streams ({StoreRows.StreamColumns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12, $p13, $p14, $p15, $p16, $p17, $p18, $p19, $p20, NULL, NULL)",
                ct, stream.Id, stream.Tenant, stream.Name, stream.Kind, stream.Url, stream.Format, Db(stream.Secret), Db(stream.CaPem), Db(stream.PinnedSha256), JsonList(stream.Types), JsonList(stream.Categories), stream.Query,
                stream.Paused, stream.CreatedAt.ToUnixTimeMilliseconds(), stream.UpdatedAt.ToUnixTimeMilliseconds(), stream.Progress.DeliveredSeq, Db(stream.Progress.DeliveredAt),
                Db(stream.Progress.LastError), Db(stream.Progress.LastErrorAt), Db(stream.Progress.FailingSince), stream.Progress.FailureRecorded);
            return 0;
        }, ct);

    public Task<bool> UpdateStreamAsync(LogStream stream, CancellationToken ct) =>
        WriteAsync(async connection =>
            (await QueryListAsync(connection, null,
                """
                UPDATE log_streams SET name = $p2, url = $p3, format = $p4, secret = $p5, ca_pem = $p6, pinned_sha256 = $p7, types = $p8,
                    categories = $p9, query = $p10, paused = $p11, updated_at = $p12
                WHERE tenant = $p0 AND id = $p1 RETURNING id
                """,
                r => r.GetString(0), ct, stream.Tenant, stream.Id, stream.Name, stream.Url, stream.Format, Db(stream.Secret), Db(stream.CaPem), Db(stream.PinnedSha256), JsonList(stream.Types),
                JsonList(stream.Categories), stream.Query, stream.Paused, stream.UpdatedAt.ToUnixTimeMilliseconds())).Count > 0, ct);

    public Task<bool> DeleteStreamAsync(string tenant, string id, CancellationToken ct) =>
        WriteAsync(async connection =>
            (await QueryListAsync(connection, null, "DELETE FROM log_streams WHERE tenant = $p0 AND id = $p1 RETURNING id", r => r.GetString(0), ct, tenant, id)).Count > 0, ct);

    public Task<bool> TryLeaseStreamAsync(string id, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct) =>
        WriteAsync(async connection =>
            (await QueryListAsync(connection, null,
                """
                UPDATE log_streams SET lease_owner = $p1, lease_until = $p3
                WHERE id = $p0 AND (lease_owner IS NULL OR lease_owner = $p1 OR lease_until < $p2) RETURNING id
                """,
                r => r.GetString(0), ct, id, owner, now.ToUnixTimeMilliseconds(), until.ToUnixTimeMilliseconds())).Count > 0, ct);

    public Task ReleaseStreamLeaseAsync(string id, string owner, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await ExecuteAsync(connection, null, "UPDATE log_streams SET lease_owner = NULL, lease_until = NULL WHERE id = $p0 AND lease_owner = $p1", ct, id, owner);
            return 0;
        }, ct);

    public Task<bool> SaveStreamProgressAsync(string id, string owner, StreamProgress progress, CancellationToken ct) =>
        WriteAsync(async connection =>
            (await QueryListAsync(connection, null,
                """
                UPDATE log_streams SET delivered_seq = $p2, delivered_at = $p3, last_error = $p4, last_error_at = $p5, failing_since = $p6, failure_recorded = $p7
                WHERE id = $p0 AND lease_owner = $p1 RETURNING id
                """,
                r => r.GetString(0), ct, id, owner, progress.DeliveredSeq, Db(progress.DeliveredAt), Db(progress.LastError), Db(progress.LastErrorAt), Db(progress.FailingSince), progress.FailureRecorded)).Count > 0, ct);

    public Task<IReadOnlyList<StoredEvent>> ReadEventsAfterAsync(string tenant, long afterSeq, int max, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredEvent>>(async connection =>
        {
            if (await TenantIdAsync(connection, tenant, ct) is not { } tenantId)
            {
                return [];
            }

            // The tenant's log is the rid range [tenant_id * 2^40 + 1, (tenant_id + 1) * 2^40): a range scan in seq order.
            return await QueryListAsync(connection, null,
                $"SELECT e.seq, e.body, e.hash, e.personal, p.record FROM events e {SqliteSearch.PersonalJoin} WHERE e.rid > $p0 AND e.rid < $p1 ORDER BY e.rid LIMIT $p2",
                r => ReadEvent(r, 0, 1), ct, Rid(tenantId, Math.Max(afterSeq, 0)), Rid(tenantId + 1, 0), max);
        }, ct);

    private static object Db(string? value) => (object?)value ?? DBNull.Value;

    private static object Db(DateTimeOffset? value) => (object?)value?.ToUnixTimeMilliseconds() ?? DBNull.Value;

    private static string JsonList(IReadOnlyList<string> values) => JsonSerializer.Serialize(values, StreamListJson.Default.IReadOnlyListString);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class StreamListJson : System.Text.Json.Serialization.JsonSerializerContext;
