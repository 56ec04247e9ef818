using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Npgsql;
using Witness.Integrity;
using Witness.Search;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore
{
    // A tenant's internal id never changes once created, so every instance may remember it.
    private readonly ConcurrentDictionary<string, long> _tenantIds = new(StringComparer.Ordinal);

    /// <summary>Rows fetched per query while streaming, so no query holds a snapshot for a whole export.</summary>
    private const int StreamChunk = 1000;

    private async Task<long?> TenantIdAsync(NpgsqlConnection connection, string tenant, CancellationToken ct)
    {
        if (_tenantIds.TryGetValue(tenant, out var known))
        {
            return known;
        }

        await using var command = new NpgsqlCommand("SELECT id FROM tenants WHERE name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        if (await command.ExecuteScalarAsync(ct) is long id)
        {
            _tenantIds[tenant] = id;
            return id;
        }

        return null;
    }

    public async Task<EventPage> SearchAsync(string tenant, EventFilter filter, int limit, EventCursor? after, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return new EventPage([], null);
        }

        if (await SearchTextBlocksAsync(connection, tenantId.Value, filter, after, limit, ct) is { } indexed)
        {
            return indexed;
        }

        await using var command = new NpgsqlCommand { Connection = connection };
        PostgresSearch.Build(command, tenantId.Value, filter, after, limit + 1);
        var events = new List<StoredEvent>(Math.Min(limit + 1, 1001));
        long lastOccurred = 0;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (events.Count == limit)
                {
                    return new EventPage(events, new EventCursor(lastOccurred, events[^1].Seq));
                }

                events.Add(PostgresSplitRows.Event(reader.GetInt64(0), reader, 2));
                lastOccurred = PostgresTime.ToMicros(reader.GetDateTime(1));
            }
        }

        return new EventPage(events, null);
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

    public async Task<StoredEvent?> FindAsync(string tenant, string id, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return null;
        }

        // Through event_ids: one probe of its key gives the partition, instead of one probe per month.
        await using var command = new NpgsqlCommand(
            """
            SELECT e.seq, e.body, e.hash, e.personal, e.personal_values FROM event_ids i
            JOIN events_joined e ON e.tenant_id = i.tenant_id AND e.seq = i.seq AND e.received_at = i.received_at
            WHERE i.tenant_id = $1 AND i.event_id = $2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await ReadOneAsync(command, ct);
    }

    public async Task<StoredEvent?> FindBySeqAsync(string tenant, long seq, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            return null;
        }

        await using var command = new NpgsqlCommand(
            """
            SELECT e.seq, e.body, e.hash, e.personal, e.personal_values FROM event_ids i
            JOIN events_joined e ON e.tenant_id = i.tenant_id AND e.seq = i.seq AND e.received_at = i.received_at
            WHERE i.tenant_id = $1 AND i.seq = $2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = seq });
        return await ReadOneAsync(command, ct);
    }

    private static async Task<StoredEvent?> ReadOneAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? PostgresSplitRows.Event(reader.GetInt64(0), reader, 1)
            : null;
    }

    public async IAsyncEnumerable<StoredRow> ReadLogAsync(string tenant, long fromSeq, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            yield break;
        }

        await foreach (var row in ReadLogRowsAsync(connection, tenantId.Value, fromSeq, ct))
        {
            yield return row;
        }
    }

    /// <summary>The tenant's log rows from <paramref name="fromSeq"/> in seq order, on the given connection (and so in its snapshot).</summary>
    private static async IAsyncEnumerable<StoredRow> ReadLogRowsAsync(NpgsqlConnection connection, long tenantId, long fromSeq, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT seq, event_id, body, hash, occurred_at, received_at, type, action, category, outcome,
                   actor_id, actor_email, ip, search_text, personal, personal_values, public_text, personal_text
            FROM events_joined
            WHERE tenant_id = $1 AND seq >= $2
            ORDER BY seq
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = fromSeq });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return PostgresSplitRows.Row(reader);
        }
    }

    public async IAsyncEnumerable<(long Seq, string Type, string Id)> ReadTargetRowsAsync(string tenant, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            yield break;
        }

        await using var command = new NpgsqlCommand("SELECT seq, target_type, target_id FROM event_targets WHERE tenant_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return (reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
        }
    }

    public async IAsyncEnumerable<(int Level, long Index, byte[] Hash)> ReadNodesAsync(string tenant, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        var tenantId = await TenantIdAsync(connection, tenant, ct);
        if (tenantId is null)
        {
            yield break;
        }

        await using var command = new NpgsqlCommand("SELECT level, idx, hash FROM merkle_nodes WHERE tenant_id = $1 ORDER BY level, idx", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return (reader.GetInt32(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
        }
    }

    public async Task<MerkleFrontier?> GetFrontierAsync(string tenant, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT frontier FROM tenants WHERE name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        return await command.ExecuteScalarAsync(ct) is byte[] bytes ? MerkleFrontier.Deserialize(bytes) : null;
    }

    public async Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT name FROM tenants ORDER BY name", connection);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    public INodeSource Nodes(string tenant) => new PostgresNodeSource(this, tenant);

    private sealed class PostgresNodeSource(PostgresStore store, string tenant) : INodeSource
    {
        public async ValueTask<byte[]?> GetNodeAsync(int level, long index, CancellationToken ct)
        {
            await using var connection = await store.Data.OpenConnectionAsync(ct);
            var tenantId = await store.TenantIdAsync(connection, tenant, ct);
            await using var command = new NpgsqlCommand("SELECT hash FROM merkle_nodes WHERE tenant_id = $1 AND level = $2 AND idx = $3", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId ?? -1 });
            command.Parameters.Add(new NpgsqlParameter { Value = level });
            command.Parameters.Add(new NpgsqlParameter { Value = index });
            return await command.ExecuteScalarAsync(ct) as byte[];
        }

        public async ValueTask<IReadOnlyList<byte[]>> GetLeafHashesAsync(long start, int count, CancellationToken ct)
        {
            await using var connection = await store.Data.OpenConnectionAsync(ct);
            var tenantId = await store.TenantIdAsync(connection, tenant, ct);
            await using var command = new NpgsqlCommand("SELECT hash FROM events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId ?? -1 });
            command.Parameters.Add(new NpgsqlParameter { Value = start });
            command.Parameters.Add(new NpgsqlParameter { Value = start + count });
            var hashes = new List<byte[]>(count);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    hashes.Add(reader.GetFieldValue<byte[]>(0));
                }
            }

            if (hashes.Count < count && tenantId is { } id)
            {
                // The missing leaves at the front were purged by retention; their block may have kept them.
                hashes.InsertRange(0, await KeptLeafHashesAsync(connection, id, start, count - hashes.Count, ct));
            }

            return hashes;
        }
    }
}
