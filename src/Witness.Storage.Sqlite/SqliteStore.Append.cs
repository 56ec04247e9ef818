using Microsoft.Data.Sqlite;
using Witness.Events;
using Witness.Ingest;
using Witness.Integrity;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Appends a group in one transaction. It is tried first without a savepoint per request (<see cref="LogAppender.TryAppendGroupAsync"/>):
    /// a conflicting request is rare, and each savepoint made SQLite copy every page its request changed. When a request conflicts,
    /// that transaction is rolled back before anything is committed and the group is appended again with savepoints, so the
    /// conflicting request alone is rolled back and answered with its conflict.
    /// </summary>
    public Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<AppendResult>>(async connection =>
        {
            var results = await AppendGroupAsync(connection, requests, receivedAt, savepoints: false, ct)
                ?? (await AppendGroupAsync(connection, requests, receivedAt, savepoints: true, ct))!;
            var appended = results.Where(r => r.Conflict is null).Sum(r => (long)r.Events.Count);

            _appendedSinceOptimize += appended;
            if (_appendedSinceOptimize >= _options.OptimizeEveryEvents)
            {
                _appendedSinceOptimize = 0;
                await ExecuteAsync(connection, "PRAGMA analysis_limit=1000; PRAGMA optimize;", ct);
            }

            return results;
        }, ct);

    /// <summary>One try of a group in its own transaction; null when it was tried without savepoints and a request conflicted (rolled back).</summary>
    private async Task<IReadOnlyList<AppendResult>?> AppendGroupAsync(
        SqliteConnection connection, IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, bool savepoints, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
        await ForgetEmailPairsIfWrittenElsewhereAsync(connection, tx, ct);
        await using var log = new SqliteLogTransaction(connection, tx, _knownEmailPairs, savepoints);
        return await LogAppender.TryAppendGroupAsync(log, requests, receivedAt, _options.TextBlockEvents, savepoints, ct);
    }

    /// <summary>
    /// The append primitives on SQLite, with every statement prepared once per group commit; each request in a savepoint of its own
    /// when <paramref name="savepoints"/> is set (else a conflicting request fails the whole transaction: <see cref="AppendGroupAsync(SqliteConnection, IReadOnlyList{IReadOnlyList{SubmittedEvent}}, DateTimeOffset, bool, CancellationToken)"/>).
    /// </summary>
    private sealed class SqliteLogTransaction(SqliteConnection connection, SqliteTransaction tx, HashSet<(long, string, string)> knownEmailPairs, bool savepoints)
        : ILogTransaction, IAsyncDisposable
    {
        private readonly HashSet<(long, string, string)> _newEmailPairs = [];
        private readonly List<(long, string, string)> _requestEmailPairs = [];
        private SqliteEventRows? _eventRows;
        private SqliteInsertStatement? _insertNode;
        private SqliteInsertStatement? _insertActorEmail;
        private SqliteInsertStatement? _insertMarkedEmail;
        private SqliteInsertStatement? _insertPersonal;
        private SqliteCommand? _findById;

        /// <summary>What the accepted requests add to the pre-aggregated counts, written before the commit.</summary>
        public EventCountTally Counts { get; } = new();

        public async ValueTask<LogHead> GetHeadAsync(string tenant, CancellationToken ct)
        {
            await using var select = Command("SELECT id, frontier FROM tenants WHERE name = $name");
            select.Parameters.AddWithValue("$name", tenant);
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    return new LogHead(reader.GetInt64(0), tenant, MerkleFrontier.Deserialize(reader.GetFieldValue<byte[]>(1)));
                }
            }

            var frontier = new MerkleFrontier();
            await using var insert = Command("INSERT INTO tenants (name, log_size, frontier, created_at) VALUES ($name, 0, $frontier, unixepoch()) RETURNING id");
            insert.Parameters.AddWithValue("$name", tenant);
            insert.Parameters.AddWithValue("$frontier", frontier.Serialize());
            var id = (long)(await insert.ExecuteScalarAsync(ct))!;
            return new LogHead(id, tenant, frontier);
        }

        public async ValueTask<ExistingEvent?> FindByIdAsync(long tenantId, string id, CancellationToken ct)
        {
            _findById ??= Command($"SELECT e.seq, e.content_digest, e.body, e.hash, e.personal, p.record FROM events e {SqliteSearch.PersonalJoin} WHERE e.tenant_id = $t AND e.event_id = $id", "$t", "$id");
            _findById.Parameters["$t"].Value = tenantId;
            _findById.Parameters["$id"].Value = id;
            await using var reader = await _findById.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Existing(reader, 0) : null;
        }

        public async ValueTask<IReadOnlyDictionary<string, ExistingEvent>> FindByIdsAsync(long tenantId, IReadOnlyCollection<string> ids, CancellationToken ct)
        {
            await using var select = Command(
                $"SELECT e.event_id, e.seq, e.content_digest, e.body, e.hash, e.personal, p.record FROM events e {SqliteSearch.PersonalJoin} WHERE e.tenant_id = $t AND e.event_id IN (SELECT value FROM json_each($ids))");
            select.Parameters.AddWithValue("$t", tenantId);
            select.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(ids));
            var found = new Dictionary<string, ExistingEvent>(StringComparer.Ordinal);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                found[reader.GetString(0)] = Existing(reader, 1);
            }

            return found;
        }

        /// <summary>An event read as <c>seq, content_digest, body, hash, personal, record</c> from <paramref name="at"/> on, its body joined back for a split row.</summary>
        private static ExistingEvent Existing(SqliteDataReader reader, int at)
        {
            var (body, _) = Joined(reader.GetFieldValue<byte[]>(at + 2), reader.IsDBNull(at + 4) ? null : reader.GetFieldValue<byte[]>(at + 4), reader.IsDBNull(at + 5) ? null : reader.GetFieldValue<byte[]>(at + 5));
            return new ExistingEvent(reader.GetInt64(at), reader.GetFieldValue<byte[]>(at + 1), body, reader.GetFieldValue<byte[]>(at + 3));
        }

        public ValueTask InsertAsync(LogHead head, LogEntry entry, CancellationToken ct)
        {
            if (entry.Seq >= SeqsPerTenant)
            {
                throw new InvalidOperationException($"tenant '{head.Tenant}' holds {SeqsPerTenant - 1} events, all a SQLite log can hold");
            }

            var k = entry.Keys;
            var rid = Rid(head.TenantId, entry.Seq);
            _eventRows ??= new SqliteEventRows(connection);
            if (entry.Split is { } split && entry.Masked is { } masked)
            {
                // A split row (migration 029): the masked body, its shape and the public text in the row, the rest beside it.
                _eventRows.Insert(rid, head.TenantId, entry.Seq, entry.Event.Id, k with { ActorEmail = null, Ip = null, SearchText = split.PublicText },
                    entry.ContentDigest, entry.Hash, masked, entry.Omitted, split.Shape);
                if (split.Values is { } values)
                {
                    _insertPersonal ??= new SqliteInsertStatement(connection,
                        "INSERT INTO event_personal (tenant_id, subject, rid, marked, email, ip, text, record, bucket) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
                    var subject = Subject(k.ActorId, split.ActorEmail);
                    _insertPersonal.Bind(1, head.TenantId);
                    _insertPersonal.Bind(2, subject);
                    _insertPersonal.Bind(9, Bucket(subject));
                    _insertPersonal.Bind(3, rid);
                    _insertPersonal.Bind(4, (split.Shape[0] & PersonalValues.Marked) != 0 ? 1L : 0L);
                    _insertPersonal.Bind(5, split.ActorEmail);
                    _insertPersonal.Bind(6, split.Ip);
                    _insertPersonal.Bind(7, split.PersonalText);
                    _insertPersonal.Bind(8, values);
                    _insertPersonal.Execute();
                }
            }
            else
            {
                _eventRows.Insert(rid, head.TenantId, entry.Seq, entry.Event.Id, k, entry.ContentDigest, entry.Hash, entry.Body, entry.Omitted, entry.Personal);
            }

            Counts.Add(head.TenantId, k);

            if (k.ActorEmail is not null
                && (head.TenantId, k.ActorEmail, k.ActorId ?? "") is var pair
                && !knownEmailPairs.Contains(pair) && _newEmailPairs.Add(pair))
            {
                _requestEmailPairs.Add(pair);
                _insertActorEmail ??= new SqliteInsertStatement(connection, "INSERT OR IGNORE INTO actor_emails (tenant_id, email, actor_id) VALUES (?1, ?2, ?3)");
                _insertActorEmail.Bind(1, head.TenantId);
                _insertActorEmail.Bind(2, k.ActorEmail);
                _insertActorEmail.Bind(3, k.ActorId ?? "");
                _insertActorEmail.Execute();
            }

            if (entry.MarkedEmails is { } emails)
            {
                _insertMarkedEmail ??= new SqliteInsertStatement(connection, "INSERT OR IGNORE INTO marked_emails (tenant_id, email, seq) VALUES (?1, ?2, ?3)");
                foreach (var email in emails)
                {
                    _insertMarkedEmail.Bind(1, head.TenantId);
                    _insertMarkedEmail.Bind(2, email);
                    _insertMarkedEmail.Bind(3, entry.Seq);
                    _insertMarkedEmail.Execute();
                }
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask BeginRequestAsync(CancellationToken ct)
        {
            if (savepoints)
            {
                tx.Save("request");
            }
            _requestEmailPairs.Clear();
            Counts.BeginRequest();
            return ValueTask.CompletedTask;
        }

        public ValueTask AcceptRequestAsync(CancellationToken ct)
        {
            if (savepoints)
            {
                tx.Release("request");
            }

            return ValueTask.CompletedTask;
        }

        /// <summary>The request was rolled back to its savepoint: the email pairs it wrote are gone again.</summary>
        public ValueTask RejectRequestAsync(CancellationToken ct)
        {
            tx.Rollback("request");
            tx.Release("request");
            _newEmailPairs.ExceptWith(_requestEmailPairs);
            Counts.ForgetRequest();
            return ValueTask.CompletedTask;
        }

        /// <summary>
        /// Writes the counts and commits. Once durable, the transaction's email pairs are known to be
        /// stored, so later groups skip the statement for them (most events repeat a pair). Bounded;
        /// forgetting only costs a lookup.
        /// </summary>
        public async ValueTask CommitAsync(CancellationToken ct)
        {
            WriteEventCounts(connection, Counts);
            await tx.CommitAsync(ct);
            if (knownEmailPairs.Count + _newEmailPairs.Count > MaxKnownEmailPairs)
            {
                knownEmailPairs.Clear();
            }

            knownEmailPairs.UnionWith(_newEmailPairs);
        }

        public ValueTask InsertNodeAsync(long tenantId, int level, long index, byte[] hash, CancellationToken ct)
        {
            _insertNode ??= new SqliteInsertStatement(connection, "INSERT INTO merkle_nodes (tenant_id, level, idx, hash) VALUES (?1, ?2, ?3, ?4)");
            _insertNode.Bind(1, tenantId);
            _insertNode.Bind(2, level);
            _insertNode.Bind(3, index);
            _insertNode.Bind(4, hash);
            _insertNode.Execute();
            return ValueTask.CompletedTask;
        }

        public async ValueTask SaveHeadAsync(LogHead head, CancellationToken ct)
        {
            await using var update = Command("UPDATE tenants SET log_size = $size, frontier = $frontier WHERE id = $t");
            update.Parameters.AddWithValue("$size", head.Size);
            update.Parameters.AddWithValue("$frontier", head.Frontier.Serialize());
            update.Parameters.AddWithValue("$t", head.TenantId);
            await update.ExecuteNonQueryAsync(ct);
        }

        public ValueTask InsertTextBlockAsync(long tenantId, Witness.Search.TextBlock block, CancellationToken ct) =>
            SqliteStore.InsertTextBlockAsync(connection, tx, tenantId, block, ct);

        private SqliteCommand Command(string sql, params string[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = tx;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            return command;
        }

        public async ValueTask DisposeAsync()
        {
            _eventRows?.Dispose();
            _insertNode?.Dispose();
            _insertActorEmail?.Dispose();
            _insertMarkedEmail?.Dispose();
            _insertPersonal?.Dispose();
            if (_findById is not null)
            {
                await _findById.DisposeAsync();
            }
        }
    }
}
