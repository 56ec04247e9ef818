using Npgsql;
using NpgsqlTypes;
using Witness.Events;
using Witness.Integrity;

namespace Witness.Storage.Postgres;

/// <summary>
/// The append primitives on PostgreSQL for one group commit. Heads are locked with
/// <c>SELECT … FOR UPDATE</c> and read once. The group's client ids are either taken to be new (the
/// primary key of <c>event_ids</c> catches one that is not, and the group runs again) or looked up in
/// one query per locked tenant set. The rows of each accepted request are streamed into a binary COPY of
/// <c>events</c> while the next request is stamped and hashed, so PostgreSQL inserts while Witness
/// hashes; <c>event_ids</c>, <c>event_targets</c>, the subtree hashes and the heads are written just
/// before the commit. A request that is rejected never reaches the COPY: its buffered rows are dropped
/// and it rolls back to its savepoint, which undoes a tenant it created and releases a head it locked.
/// </summary>
internal sealed class PostgresLogTransaction : ILogTransaction, IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _tx;
    private readonly bool _lookUpIds;
    private readonly Dictionary<string, List<string>> _clientIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LockedHead> _locked = new(StringComparer.Ordinal);
    private readonly Dictionary<(long TenantId, string Id), ExistingEvent> _known = [];
    private readonly HashSet<long> _prefetched = []; // tenants whose client ids were looked up (or are taken to be new)
    private readonly List<(long TenantId, LogEntry Entry)> _events = [];
    private readonly List<(long TenantId, int Level, long Index, byte[] Hash)> _nodes = [];
    private readonly Dictionary<long, LogHead> _heads = [];
    private readonly List<(long TenantId, Witness.Search.TextBlock Block)> _textBlocks = [];

    // The side rows of the accepted split events (migration 029), copied into event_personal at commit.
    private readonly List<(long TenantId, LogEntry Entry, SplitEvent Split)> _personal = [];

    private readonly List<string> _requestLocked = [];
    private readonly List<(long TenantId, string Id)> _requestKnown = [];

    // The COPY of events rows in progress, and how many of _events it has been sent.
    private NpgsqlBinaryImporter? _eventCopy;
    private int _copied;
    private int _requestEvents;
    private int _requestNodes;
    private bool _savepoint;

    /// <param name="connection">The connection the group runs on.</param>
    /// <param name="tx">The group's transaction, read committed.</param>
    /// <param name="lookUpIds">
    /// Whether the group's client ids are looked up among the stored events. Without it they are taken to
    /// be new, and a repeated one is caught by the primary key of <c>event_ids</c> when the rows are
    /// written, which fails the group: the caller then runs it again with lookups.
    /// </param>
    public PostgresLogTransaction(NpgsqlConnection connection, NpgsqlTransaction tx, bool lookUpIds)
    {
        _connection = connection;
        _tx = tx;
        _lookUpIds = lookUpIds;
    }

    /// <summary>Adds requests to the group: their tenants' heads are locked, and their client ids looked up, with the rest.</summary>
    public void AddRequests(IEnumerable<IReadOnlyList<SubmittedEvent>> requests)
    {
        foreach (var submitted in requests.SelectMany(r => r))
        {
            if (!_clientIds.TryGetValue(submitted.Event.Tenant, out var ids))
            {
                _clientIds[submitted.Event.Tenant] = ids = [];
            }

            if (submitted.ClientChoseId)
            {
                ids.Add(submitted.Event.Id);
            }
        }
    }

    /// <summary>Whether the group holds the tenant's head (it exists and is locked).</summary>
    public bool Holds(string tenant) => _locked.ContainsKey(tenant);

    /// <summary>Locks the heads of every tenant of the group that already exists, in name order.</summary>
    public async Task LockExistingHeadsAsync(CancellationToken ct)
    {
        var names = _clientIds.Keys.Order(StringComparer.Ordinal).ToArray();
        await using var command = new NpgsqlCommand("SELECT id, name, frontier FROM tenants WHERE name = ANY($1) ORDER BY name FOR UPDATE", _connection, _tx);
        command.Parameters.Add(new NpgsqlParameter { Value = names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var name = reader.GetString(1);
            _locked[name] = new LockedHead(reader.GetInt64(0), reader.GetFieldValue<byte[]>(2));
        }
    }

    /// <summary>When the group looks up its client ids, reads the stored events under the locked heads in one query.</summary>
    public Task LookUpClientIdsAsync(CancellationToken ct) => PrefetchAsync([.. _locked.Keys], ct);

    public async ValueTask<LogHead> GetHeadAsync(string tenant, CancellationToken ct)
    {
        if (!_locked.TryGetValue(tenant, out var locked))
        {
            locked = await LockNewHeadAsync(tenant, ct);
        }

        return new LogHead(locked.Id, tenant, MerkleFrontier.Deserialize(locked.Frontier));
    }

    /// <summary>Creates the tenant, or, when another instance just created it, waits for and locks its head.</summary>
    private async Task<LockedHead> LockNewHeadAsync(string tenant, CancellationToken ct)
    {
        await EnsureSavepointAsync(ct);
        LockedHead? locked = null;
        var empty = new MerkleFrontier().Serialize();
        await using (var insert = new NpgsqlCommand("INSERT INTO tenants (name, log_size, frontier) VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING RETURNING id", _connection, _tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = tenant });
            insert.Parameters.Add(new NpgsqlParameter { Value = empty });
            if (await insert.ExecuteScalarAsync(ct) is long id)
            {
                locked = new LockedHead(id, empty);
            }
        }

        if (locked is null)
        {
            await using var select = new NpgsqlCommand("SELECT id, frontier FROM tenants WHERE name = $1 FOR UPDATE", _connection, _tx);
            select.Parameters.Add(new NpgsqlParameter { Value = tenant });
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                locked = new LockedHead(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
            }
        }

        _locked[tenant] = locked;
        _requestLocked.Add(tenant);
        await PrefetchAsync([tenant], ct);
        return locked;
    }

    /// <summary>
    /// Reads the stored events of the group's client ids for the given locked tenants, so idempotency
    /// checks need no further queries; without lookups, only notes that their ids are taken to be new.
    /// </summary>
    private async Task PrefetchAsync(IReadOnlyList<string> tenants, CancellationToken ct)
    {
        var tenantIds = new List<long>();
        var ids = new List<string>();
        foreach (var tenant in tenants)
        {
            var tenantId = _locked[tenant].Id;
            _prefetched.Add(tenantId);
            foreach (var id in _clientIds[tenant])
            {
                tenantIds.Add(tenantId);
                ids.Add(id);
            }
        }

        if (ids.Count == 0 || !_lookUpIds)
        {
            return;
        }

        // One probe of event_ids' primary key per id, as a lateral subquery: as a plain join, with
        // statistics that lag a fast-growing table, PostgreSQL chose a (parallel) scan of all of
        // event_ids hashed against the ids (auto_explain in the benchmark: 27 ms at 90,000 rows, and it
        // grows with the table), with the heads locked.
        await EndEventCopyAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT i.tenant_id, i.event_id, i.seq, i.content_digest, e.body, e.hash, e.personal, e.personal_values
            FROM unnest($1::bigint[], $2::text[]) AS k(tenant_id, event_id)
            CROSS JOIN LATERAL (
                SELECT * FROM event_ids x WHERE x.tenant_id = k.tenant_id AND x.event_id = k.event_id LIMIT 1
            ) i
            JOIN events_joined e ON e.tenant_id = i.tenant_id AND e.seq = i.seq AND e.received_at = i.received_at
            """, _connection, _tx);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantIds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var key = (reader.GetInt64(0), reader.GetString(1));
            var stored = PostgresSplitRows.Event(reader.GetInt64(2), reader, 4);
            _known[key] = new ExistingEvent(stored.Seq, reader.GetFieldValue<byte[]>(3), stored.Body, stored.Hash);
            _requestKnown.Add(key);
        }
    }

    public async ValueTask<ExistingEvent?> FindByIdAsync(long tenantId, string id, CancellationToken ct)
    {
        if (_known.TryGetValue((tenantId, id), out var known))
        {
            return known;
        }

        if (_prefetched.Contains(tenantId))
        {
            return null;
        }

        await EnsureSavepointAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT i.seq, i.content_digest, e.body, e.hash, e.personal, e.personal_values FROM event_ids i
            JOIN events_joined e ON e.tenant_id = i.tenant_id AND e.seq = i.seq AND e.received_at = i.received_at
            WHERE i.tenant_id = $1 AND i.event_id = $2
            """, _connection, _tx);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var stored = PostgresSplitRows.Event(reader.GetInt64(0), reader, 2);
        return new ExistingEvent(stored.Seq, reader.GetFieldValue<byte[]>(1), stored.Body, stored.Hash);
    }

    public ValueTask InsertAsync(LogHead head, LogEntry entry, CancellationToken ct)
    {
        _events.Add((head.TenantId, entry));
        var key = (head.TenantId, entry.Event.Id);
        _known[key] = new ExistingEvent(entry.Seq, entry.ContentDigest, entry.Body, entry.Hash);
        _requestKnown.Add(key);
        return ValueTask.CompletedTask;
    }

    public ValueTask InsertNodeAsync(long tenantId, int level, long index, byte[] hash, CancellationToken ct)
    {
        _nodes.Add((tenantId, level, index, hash));
        return ValueTask.CompletedTask;
    }

    public ValueTask SaveHeadAsync(LogHead head, CancellationToken ct)
    {
        _heads[head.TenantId] = head;
        return ValueTask.CompletedTask;
    }

    public ValueTask InsertTextBlockAsync(long tenantId, Witness.Search.TextBlock block, CancellationToken ct)
    {
        _textBlocks.Add((tenantId, block));
        return ValueTask.CompletedTask;
    }

    public ValueTask BeginRequestAsync(CancellationToken ct)
    {
        _requestEvents = _events.Count;
        _requestNodes = _nodes.Count;
        _requestLocked.Clear();
        _requestKnown.Clear();
        _savepoint = false;
        return ValueTask.CompletedTask;
    }

    /// <summary>Keeps the request: releases its savepoint and streams its rows into the COPY of events.</summary>
    public async ValueTask AcceptRequestAsync(CancellationToken ct)
    {
        if (_savepoint)
        {
            await _tx.ReleaseAsync("request", ct);
        }

        if (_copied == _events.Count)
        {
            return;
        }

        _eventCopy ??= await _connection.BeginBinaryImportAsync(
            "COPY events (tenant_id, seq, received_at, occurred_at, event_id, type, action, category, outcome, actor_id, actor_email, ip, search_text, hash, body, personal) FROM STDIN (FORMAT BINARY)",
            ct);
        for (; _copied < _events.Count; _copied++)
        {
            var (tenantId, entry) = _events[_copied];
            var split = PostgresSplitRows.Split(entry);
            if (split is not null)
            {
                _personal.Add((tenantId, entry, split.Event));
            }

            await WriteEventRowAsync(_eventCopy, tenantId, entry, split, ct);
        }
    }

    public async ValueTask RejectRequestAsync(CancellationToken ct)
    {
        if (_savepoint)
        {
            await _tx.RollbackAsync("request", ct);
            await _tx.ReleaseAsync("request", ct);
        }

        _events.RemoveRange(_requestEvents, _events.Count - _requestEvents);
        _nodes.RemoveRange(_requestNodes, _nodes.Count - _requestNodes);
        foreach (var key in _requestKnown)
        {
            _known.Remove(key);
        }

        // The rollback released the heads this request locked: forget them, so a later request locks
        // (and reads) them again.
        foreach (var tenant in _requestLocked)
        {
            _prefetched.Remove(_locked[tenant].Id);
            _locked.Remove(tenant);
        }
    }

    private async Task EnsureSavepointAsync(CancellationToken ct)
    {
        if (!_savepoint)
        {
            await EndEventCopyAsync(ct);
            await _tx.SaveAsync("request", ct);
            _savepoint = true;
        }
    }

    /// <summary>
    /// Ends the COPY of events rows, if one is running: the connection runs nothing else during a COPY.
    /// The rows sent so far stay in the transaction.
    /// </summary>
    private async Task EndEventCopyAsync(CancellationToken ct)
    {
        if (_eventCopy is { } copy)
        {
            _eventCopy = null;
            await using (copy)
            {
                await copy.CompleteAsync(ct);
            }
        }
    }

    /// <summary>Writes the rest of the accepted rows, the subtree hashes and the new heads, and commits.</summary>
    public async ValueTask CommitAsync(CancellationToken ct)
    {
        await EndEventCopyAsync(ct);
        if (_events.Count > 0)
        {
            await CopyEventIdsAsync(ct);
            await CopyTargetsAsync(ct);
            await CopyPersonalAsync(ct);
            await PostgresEventCounts.WriteAsync(_connection, _tx, _events, ct);
        }

        if (_heads.Count > 0)
        {
            // One statement for both: a COPY of the few subtree hashes would cost two more round trips.
            var heads = _heads.Values.ToList();
            await using var update = new NpgsqlCommand(
                """
                WITH nodes AS (
                    INSERT INTO merkle_nodes (tenant_id, level, idx, hash) SELECT * FROM unnest($4::bigint[], $5::integer[], $6::bigint[], $7::bytea[])
                )
                UPDATE tenants t SET log_size = v.size, frontier = v.frontier
                FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS v(id, size, frontier) WHERE t.id = v.id
                """,
                _connection, _tx);
            update.Parameters.Add(new NpgsqlParameter { Value = heads.Select(h => h.TenantId).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = heads.Select(h => h.Size).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = heads.Select(h => h.Frontier.Serialize()).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = _nodes.Select(n => n.TenantId).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = _nodes.Select(n => n.Level).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = _nodes.Select(n => n.Index).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = _nodes.Select(n => n.Hash).ToArray() });
            await update.ExecuteNonQueryAsync(ct);
        }

        await PostgresStore.InsertTextBlocksAsync(_connection, _tx, _textBlocks, ct);
        await _tx.CommitAsync(ct);
    }

    /// <summary>Cancels a COPY left running by a failure; the caller's rollback then undoes the rest.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_eventCopy is { } copy)
        {
            _eventCopy = null;
            try
            {
                await copy.DisposeAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // The group already failed with the exception that matters (the caller sees that one);
                // the transaction is rolled back and a broken connection is not returned to the pool.
            }
        }
    }

    /// <summary>
    /// Writes an events row: a split event (<paramref name="split"/>) as its masked body, shape and public text, with no email
    /// or IP (they are in its event_personal row); any other as its body, record and index keys.
    /// </summary>
    private static async Task WriteEventRowAsync(NpgsqlBinaryImporter writer, long tenantId, LogEntry entry, SplitRow? split, CancellationToken ct)
    {
        var k = entry.Keys;
        await writer.StartRowAsync(ct);
        await writer.WriteAsync(tenantId, NpgsqlDbType.Bigint, ct);
        await writer.WriteAsync(entry.Seq, NpgsqlDbType.Bigint, ct);
        await writer.WriteAsync(PostgresTime.FromMicros(k.ReceivedAtMicros), NpgsqlDbType.TimestampTz, ct);
        await writer.WriteAsync(PostgresTime.FromMicros(k.OccurredAtMicros), NpgsqlDbType.TimestampTz, ct);
        await writer.WriteAsync(entry.Event.Id, NpgsqlDbType.Text, ct);
        await writer.WriteAsync(k.Type, NpgsqlDbType.Text, ct);
        await writer.WriteAsync(k.Action, NpgsqlDbType.Text, ct);
        await WriteNullableAsync(writer, k.Category, ct);
        await writer.WriteAsync(k.Outcome, NpgsqlDbType.Text, ct);
        await WriteNullableAsync(writer, k.ActorId, ct);
        await WriteNullableAsync(writer, split is null ? k.ActorEmail : null, ct);
        if (k.Ip is null || split is not null)
        {
            await writer.WriteNullAsync(ct);
        }
        else
        {
            await writer.WriteAsync(k.Ip, NpgsqlDbType.Bytea, ct);
        }

        await writer.WriteAsync(split?.Event.PublicText ?? k.SearchText, NpgsqlDbType.Text, ct);
        await writer.WriteAsync(entry.Hash, NpgsqlDbType.Bytea, ct);
        if (split is not null)
        {
            // The masked body: the body with each personal value written "[erased]", and the shape that says where (with the commitments).
            await writer.WriteAsync(split.Masked, NpgsqlDbType.Bytea, ct);
            await writer.WriteAsync(split.Event.Shape, NpgsqlDbType.Bytea, ct);
        }
        else
        {
            await writer.WriteAsync(entry.Body, NpgsqlDbType.Bytea, ct);
            if (entry.Personal is null)
            {
                await writer.WriteNullAsync(ct);
            }
            else
            {
                await writer.WriteAsync(entry.Personal, NpgsqlDbType.Bytea, ct);
            }
        }
    }

    /// <summary>The side rows of the group's split events (<c>event_personal</c>, migration 029): their values, email, IP and personal text.</summary>
    private async Task CopyPersonalAsync(CancellationToken ct)
    {
        if (!_personal.Any(p => p.Split.Values is not null))
        {
            return;
        }

        await using var writer = await _connection.BeginBinaryImportAsync(
            "COPY event_personal (tenant_id, seq, received_at, occurred_at, actor_id, email, ip, text, record, marked) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (tenantId, entry, split) in _personal)
        {
            if (split.Values is null)
            {
                continue;
            }

            await writer.StartRowAsync(ct);
            await writer.WriteAsync(tenantId, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(entry.Seq, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(PostgresTime.FromMicros(entry.Keys.ReceivedAtMicros), NpgsqlDbType.TimestampTz, ct);
            await writer.WriteAsync(PostgresTime.FromMicros(entry.Keys.OccurredAtMicros), NpgsqlDbType.TimestampTz, ct);
            await WriteNullableAsync(writer, entry.Keys.ActorId, ct);
            await WriteNullableAsync(writer, split.ActorEmail, ct);
            if (split.Ip is null)
            {
                await writer.WriteNullAsync(ct);
            }
            else
            {
                await writer.WriteAsync(split.Ip, NpgsqlDbType.Bytea, ct);
            }

            await writer.WriteAsync(split.PersonalText, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(split.Values, NpgsqlDbType.Bytea, ct);
            await writer.WriteAsync((split.Shape[0] & PersonalValues.Marked) != 0, NpgsqlDbType.Boolean, ct);
        }

        await writer.CompleteAsync(ct);
    }

    private async Task CopyEventIdsAsync(CancellationToken ct)
    {
        await using var writer = await _connection.BeginBinaryImportAsync("COPY event_ids (tenant_id, event_id, seq, received_at, content_digest, client_omitted, marked_emails) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (tenantId, entry) in _events)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(tenantId, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(entry.Event.Id, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(entry.Seq, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(PostgresTime.FromMicros(entry.Keys.ReceivedAtMicros), NpgsqlDbType.TimestampTz, ct);
            await writer.WriteAsync(entry.ContentDigest, NpgsqlDbType.Bytea, ct);
            await writer.WriteAsync((short)entry.Omitted, NpgsqlDbType.Smallint, ct);
            if (entry.MarkedEmails is { } emails)
            {
                await writer.WriteAsync(emails, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
            }
            else
            {
                await writer.WriteNullAsync(ct);
            }
        }

        await writer.CompleteAsync(ct);
    }

    private async Task CopyTargetsAsync(CancellationToken ct)
    {
        if (!_events.Any(e => e.Entry.Keys.Targets.Count > 0))
        {
            return;
        }

        await using var writer = await _connection.BeginBinaryImportAsync(
            "COPY event_targets (tenant_id, target_id, target_type, occurred_at, seq, received_at) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (tenantId, entry) in _events)
        {
            var k = entry.Keys;
            // An event may name the same target twice; it is indexed once.
            foreach (var (type, id) in k.Targets.Distinct())
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(tenantId, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(id, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(type, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(PostgresTime.FromMicros(k.OccurredAtMicros), NpgsqlDbType.TimestampTz, ct);
                await writer.WriteAsync(entry.Seq, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(PostgresTime.FromMicros(k.ReceivedAtMicros), NpgsqlDbType.TimestampTz, ct);
            }
        }

        await writer.CompleteAsync(ct);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken ct)
    {
        if (value is null)
        {
            await writer.WriteNullAsync(ct);
        }
        else
        {
            await writer.WriteAsync(value, NpgsqlDbType.Text, ct);
        }
    }

    private sealed record LockedHead(long Id, byte[] Frontier);
}
