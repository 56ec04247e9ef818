using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Witness.Integrity;
using Witness.Search;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private readonly ConcurrentDictionary<string, long> _tenantIds = new(StringComparer.Ordinal);

    /// <summary>Rows fetched per query while streaming, so no read transaction stays open for a whole export.</summary>
    private const int StreamChunk = 1000;

    private async Task<long?> TenantIdAsync(SqliteConnection connection, string tenant, CancellationToken ct)
    {
        if (_tenantIds.TryGetValue(tenant, out var known))
        {
            return known;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM tenants WHERE name = $name";
        command.Parameters.AddWithValue("$name", tenant);
        if (await command.ExecuteScalarAsync(ct) is long id)
        {
            _tenantIds[tenant] = id;
            return id;
        }

        return null;
    }

    public Task<EventPage> SearchAsync(string tenant, EventFilter filter, int limit, EventCursor? after, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                return new EventPage([], null);
            }

            IReadOnlyList<string>? emailActors = null;
            if (SqliteSearch.DrivingEmail(filter) is { } email)
            {
                emailActors = await ActorsOfEmailAsync(connection, tenantId.Value, email, ct);
                if (emailActors.Count == 0)
                {
                    return new EventPage([], null);
                }
            }

            if (await SearchTextBlocksAsync(connection, tenantId.Value, filter, after, limit, emailActors, ct) is { } indexed)
            {
                return indexed;
            }

            await using var command = connection.CreateCommand();
            SqliteSearch.Build(command, tenantId.Value, filter, after, limit + 1, emailActors);
            var events = new List<StoredEvent>(Math.Min(limit + 1, 1001));
            long lastOccurred = 0;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    if (events.Count == limit)
                    {
                        var last = events[^1];
                        return new EventPage(events, new EventCursor(lastOccurred, last.Seq));
                    }

                    events.Add(ReadEvent(reader, 0, 2));
                    lastOccurred = reader.GetInt64(1);
                }
            }

            return new EventPage(events, null);
        }, ct);

    private static async Task<IReadOnlyList<string>> ActorsOfEmailAsync(SqliteConnection connection, long tenantId, string email, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSearch.ActorsOfEmailSql;
        command.Parameters.AddWithValue("$t", tenantId);
        command.Parameters.AddWithValue("$email", email);
        var actors = new List<string>(2);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            actors.Add(reader.GetString(0));
        }

        return actors;
    }

    public async IAsyncEnumerable<StoredEvent> StreamAsync(string tenant, EventFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        EventCursor? cursor = null;
        do
        {
            var page = await SearchAsync(tenant, filter, StreamChunk, cursor, ct);
            foreach (var e in page.Events)
            {
                yield return e;
            }

            cursor = page.Next;
        }
        while (cursor is not null);
    }

    public Task<StoredEvent?> FindAsync(string tenant, string id, CancellationToken ct) =>
        FindOneAsync(tenant, "e.event_id = $key", id, ct);

    public Task<StoredEvent?> FindBySeqAsync(string tenant, long seq, CancellationToken ct) =>
        FindOneAsync(tenant, $"e.rid = $t * {SeqsPerTenant} + $key AND e.seq = $key", seq, ct);

    private Task<StoredEvent?> FindOneAsync(string tenant, string condition, object key, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                return null;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT e.seq, e.body, e.hash, e.personal, p.record FROM events e {SqliteSearch.PersonalJoin} WHERE e.tenant_id = $t AND {condition}";
            command.Parameters.AddWithValue("$t", tenantId.Value);
            command.Parameters.AddWithValue("$key", key);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? ReadEvent(reader, 0, 1)
                : null;
        }, ct);

    public async IAsyncEnumerable<StoredRow> ReadLogAsync(string tenant, long fromSeq, [EnumeratorCancellation] CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        await using (connection)
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                yield break;
            }

            await using var command = Prepare(connection, null, ReadLogSql, [Rid(tenantId.Value, 0) + Math.Max(fromSeq, 1), Rid(tenantId.Value, 0) + SeqsPerTenant]);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return ReadLogRow(reader, Rid(tenantId.Value, 0), tenantId.Value);
            }
        }
    }

    // The tenant's log is the table's rid range [tenant_id * 2^40 + 1, (tenant_id + 1) * 2^40): a range
    // scan of the table in log order. Each row's position is its rid; the seq column is reported beside
    // it, so a row whose seq column was changed, or that was moved, is caught.
    // A split row (migration 029) is read with its side row, as the raw reader (SqliteLogRowReader) reads it.
    private const string ReadLogSql =
        $"""
        SELECT e.rid, e.seq, e.event_id, e.body, e.hash, e.occurred_at, e.received_at, e.type, e.action, e.category, e.outcome,
               e.actor_id, coalesce(e.actor_email, p.email), coalesce(e.ip, p.ip), e.search_text, e.tenant_id, e.personal, p.record, p.text
        FROM events e {SqliteSearch.PersonalJoin}
        WHERE e.rid >= $p0 AND e.rid < $p1
        ORDER BY e.rid
        """;

    /// <summary>A row of <see cref="ReadLogSql"/>; <paramref name="start"/> is the rid of the tenant's seq 0.</summary>
    private static StoredRow ReadLogRow(SqliteDataReader reader, long start, long tenantId)
    {
        var body = reader.GetFieldValue<byte[]>(3);
        var personal = reader.IsDBNull(16) ? null : reader.GetFieldValue<byte[]>(16);
        string? personalText = null;
        if (personal is not null && Events.PersonalSplit.IsShape(personal))
        {
            personalText = reader.IsDBNull(18) ? "" : reader.GetString(18);
            try
            {
                (body, personal) = Events.PersonalSplit.Join(body, personal, reader.IsDBNull(17) ? null : reader.GetFieldValue<byte[]>(17));
            }
            catch (InvalidDataException)
            {
                // Left as stored: the masked body and a shape, whose leaf hash cannot match, so the event is named as changed.
            }
        }

        var keys = new EventIndexKeys(
            reader.GetInt64(5), reader.GetInt64(6), reader.GetString(7), reader.GetString(8),
            reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetString(10),
            reader.IsDBNull(11) ? null : reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetString(12),
            reader.IsDBNull(13) ? null : reader.GetFieldValue<byte[]>(13), reader.GetString(14), []);
        return new StoredRow(reader.GetInt64(0) - start, reader.GetString(2), body, reader.GetFieldValue<byte[]>(4), keys)
        {
            SeqColumn = reader.GetInt64(1),
            TenantColumnMatches = reader.GetInt64(15) == tenantId,
            Personal = personal,
            PersonalText = personalText,
        };
    }

    public Task<long> CountEventRowsAsync(string tenant, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM events WHERE tenant_id = (SELECT id FROM tenants WHERE name = $name)";
            command.Parameters.AddWithValue("$name", tenant);
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, ct);

    public async IAsyncEnumerable<(long Seq, string Type, string Id)> ReadTargetRowsAsync(string tenant, [EnumeratorCancellation] CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        await using (connection)
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                yield break;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT seq, target_type, target_id FROM event_targets WHERE tenant_id = $t";
            command.Parameters.AddWithValue("$t", tenantId.Value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return (reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
            }
        }
    }

    public async IAsyncEnumerable<(int Level, long Index, byte[] Hash)> ReadNodesAsync(string tenant, [EnumeratorCancellation] CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        await using (connection)
        {
            var tenantId = await TenantIdAsync(connection, tenant, ct);
            if (tenantId is null)
            {
                yield break;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT level, idx, hash FROM merkle_nodes WHERE tenant_id = $t ORDER BY level, idx";
            command.Parameters.AddWithValue("$t", tenantId.Value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                yield return (reader.GetInt32(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
            }
        }
    }

    public Task<MerkleFrontier?> GetFrontierAsync(string tenant, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT frontier FROM tenants WHERE name = $name";
            command.Parameters.AddWithValue("$name", tenant);
            return await command.ExecuteScalarAsync(ct) is byte[] bytes ? MerkleFrontier.Deserialize(bytes) : null;
        }, ct);

    public Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<string>>(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT name FROM tenants ORDER BY name";
            var names = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                names.Add(reader.GetString(0));
            }

            return names;
        }, ct);

    public INodeSource Nodes(string tenant) => new SqliteNodeSource(this, tenant);

    private sealed class SqliteNodeSource(SqliteStore store, string tenant) : INodeSource
    {
        public async ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct) =>
            await store.ReadAsync(async connection =>
            {
                var tenantId = await store.TenantIdAsync(connection, tenant, ct);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT hash FROM merkle_nodes WHERE tenant_id = $t AND level = $level AND idx = $idx";
                command.Parameters.AddWithValue("$t", tenantId ?? -1);
                command.Parameters.AddWithValue("$level", level);
                command.Parameters.AddWithValue("$idx", index);
                return await command.ExecuteScalarAsync(ct) as byte[];
            }, ct);

        public async ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct) =>
            await store.ReadAsync<IReadOnlyList<byte[]>>(async connection =>
            {
                var tenantId = await store.TenantIdAsync(connection, tenant, ct);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT hash FROM events WHERE rid > $start AND rid <= $end ORDER BY rid";
                command.Parameters.AddWithValue("$start", Rid(tenantId ?? -1, start));
                command.Parameters.AddWithValue("$end", Rid(tenantId ?? -1, start + count));
                var hashes = new List<byte[]>(count);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    hashes.Add(reader.GetFieldValue<byte[]>(0));
                }

                if (hashes.Count < count && tenantId is { } id)
                {
                    // The missing leaves at the front were purged by retention; their block may have kept them.
                    hashes.InsertRange(0, await KeptLeafHashesAsync(connection, id, start, count - hashes.Count, ct));
                }

                return hashes;
            }, ct);
    }
}
