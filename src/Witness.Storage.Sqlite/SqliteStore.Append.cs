using Microsoft.Data.Sqlite;
using Witness.Events;
using Witness.Ingest;
using Witness.Integrity;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<IReadOnlyList<SubmittedEvent>> requests, DateTimeOffset receivedAt, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<AppendResult>>(async connection =>
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            await using var log = new SqliteLogTransaction(connection, tx, _knownEmailPairs);
            var appender = new LogAppender(log);
            var results = new List<AppendResult>(requests.Count);
            long appended = 0;
            foreach (var request in requests)
            {
                tx.Save("request");
                log.BeginRequest();
                var result = await appender.AppendAsync(request, receivedAt, ct);
                if (result.Conflict is null)
                {
                    tx.Release("request");
                    appended += result.Events.Count;
                }
                else
                {
                    tx.Rollback("request");
                    tx.Release("request");
                    log.ForgetRequest();
                }

                results.Add(result);
            }

            await appender.SaveHeadsAsync(ct);
            await tx.CommitAsync(ct);
            log.Committed();

            _appendedSinceOptimize += appended;
            if (_appendedSinceOptimize >= _options.OptimizeEveryEvents)
            {
                _appendedSinceOptimize = 0;
                await ExecuteAsync(connection, "PRAGMA analysis_limit=1000; PRAGMA optimize;", ct);
            }

            return results;
        }, ct);

    /// <summary>The append primitives on SQLite, with every statement prepared once per group commit.</summary>
    private sealed class SqliteLogTransaction(SqliteConnection connection, SqliteTransaction tx, HashSet<(long, string, string)> knownEmailPairs)
        : ILogTransaction, IAsyncDisposable
    {
        private readonly HashSet<(long, string, string)> _newEmailPairs = [];
        private readonly List<(long, string, string)> _requestEmailPairs = [];
        private SqliteCommand? _insertEvent;
        private SqliteCommand? _insertTarget;
        private SqliteCommand? _insertNode;
        private SqliteCommand? _findById;
        private SqliteCommand? _insertActorEmail;

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
            _findById ??= Command("SELECT seq, content_digest, body, hash FROM events WHERE tenant_id = $t AND event_id = $id", "$t", "$id");
            _findById.Parameters["$t"].Value = tenantId;
            _findById.Parameters["$id"].Value = id;
            await using var reader = await _findById.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? new ExistingEvent(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3))
                : null;
        }

        public async ValueTask<IReadOnlyDictionary<string, ExistingEvent>> FindByIdsAsync(long tenantId, IReadOnlyCollection<string> ids, CancellationToken ct)
        {
            await using var select = Command(
                "SELECT event_id, seq, content_digest, body, hash FROM events WHERE tenant_id = $t AND event_id IN (SELECT value FROM json_each($ids))");
            select.Parameters.AddWithValue("$t", tenantId);
            select.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(ids));
            var found = new Dictionary<string, ExistingEvent>(StringComparer.Ordinal);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                found[reader.GetString(0)] = new ExistingEvent(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4));
            }

            return found;
        }

        public async ValueTask InsertAsync(LogHead head, LogEntry entry, CancellationToken ct)
        {
            _insertEvent ??= Command(
                """
                INSERT INTO events (rid, tenant_id, seq, event_id, occurred_at, received_at, type, action, category, outcome,
                                    actor_id, actor_email, ip, search_text, content_digest, hash, body)
                VALUES ($rid, $t, $seq, $id, $occ, $rec, $type, $action, $cat, $outcome, $actor, $email, $ip, $text, $digest, $hash, $body)
                """,
                "$rid", "$t", "$seq", "$id", "$occ", "$rec", "$type", "$action", "$cat", "$outcome", "$actor", "$email", "$ip", "$text", "$digest", "$hash", "$body");
            var k = entry.Keys;
            var p = _insertEvent.Parameters;
            p["$rid"].Value = entry.Seq < SeqsPerTenant ? Rid(head.TenantId, entry.Seq) : throw new InvalidOperationException($"tenant '{head.Tenant}' holds {SeqsPerTenant - 1} events, all a SQLite log can hold");
            p["$t"].Value = head.TenantId;
            p["$seq"].Value = entry.Seq;
            p["$id"].Value = entry.Event.Id;
            p["$occ"].Value = k.OccurredAtMicros;
            p["$rec"].Value = k.ReceivedAtMicros;
            p["$type"].Value = k.Type;
            p["$action"].Value = k.Action;
            p["$cat"].Value = (object?)k.Category ?? DBNull.Value;
            p["$outcome"].Value = k.Outcome;
            p["$actor"].Value = (object?)k.ActorId ?? DBNull.Value;
            p["$email"].Value = (object?)k.ActorEmail ?? DBNull.Value;
            p["$ip"].Value = (object?)k.Ip ?? DBNull.Value;
            p["$text"].Value = k.SearchText;
            p["$digest"].Value = entry.ContentDigest;
            p["$hash"].Value = entry.Hash;
            p["$body"].Value = entry.Body;
            await _insertEvent.ExecuteNonQueryAsync(ct);

            if (k.ActorEmail is not null
                && (head.TenantId, k.ActorEmail, k.ActorId ?? "") is var pair
                && !knownEmailPairs.Contains(pair) && _newEmailPairs.Add(pair))
            {
                _requestEmailPairs.Add(pair);
                _insertActorEmail ??= Command("INSERT OR IGNORE INTO actor_emails (tenant_id, email, actor_id) VALUES ($t, $email, $actor)", "$t", "$email", "$actor");
                _insertActorEmail.Parameters["$t"].Value = head.TenantId;
                _insertActorEmail.Parameters["$email"].Value = k.ActorEmail;
                _insertActorEmail.Parameters["$actor"].Value = k.ActorId ?? "";
                await _insertActorEmail.ExecuteNonQueryAsync(ct);
            }

            if (k.Targets.Count == 0)
            {
                return;
            }

            _insertTarget ??= Command(
                "INSERT OR IGNORE INTO event_targets (tenant_id, target_id, target_type, occurred_at, seq) VALUES ($t, $id, $type, $occ, $seq)",
                "$t", "$id", "$type", "$occ", "$seq");
            foreach (var (type, id) in k.Targets)
            {
                var tp = _insertTarget.Parameters;
                tp["$t"].Value = head.TenantId;
                tp["$id"].Value = id;
                tp["$type"].Value = type;
                tp["$occ"].Value = k.OccurredAtMicros;
                tp["$seq"].Value = entry.Seq;
                await _insertTarget.ExecuteNonQueryAsync(ct);
            }
        }

        /// <summary>A request starts (after its savepoint).</summary>
        public void BeginRequest() => _requestEmailPairs.Clear();

        /// <summary>The request was rolled back to its savepoint: the email pairs it wrote are gone again.</summary>
        public void ForgetRequest() => _newEmailPairs.ExceptWith(_requestEmailPairs);

        /// <summary>
        /// The transaction is durable: its email pairs are known to be stored, so later groups skip
        /// the statement for them (most events repeat a pair). Bounded; forgetting only costs a lookup.
        /// </summary>
        public void Committed()
        {
            if (knownEmailPairs.Count + _newEmailPairs.Count > MaxKnownEmailPairs)
            {
                knownEmailPairs.Clear();
            }

            knownEmailPairs.UnionWith(_newEmailPairs);
        }

        public async ValueTask InsertNodeAsync(long tenantId, int level, long index, byte[] hash, CancellationToken ct)
        {
            _insertNode ??= Command("INSERT INTO merkle_nodes (tenant_id, level, idx, hash) VALUES ($t, $level, $idx, $hash)", "$t", "$level", "$idx", "$hash");
            _insertNode.Parameters["$t"].Value = tenantId;
            _insertNode.Parameters["$level"].Value = level;
            _insertNode.Parameters["$idx"].Value = index;
            _insertNode.Parameters["$hash"].Value = hash;
            await _insertNode.ExecuteNonQueryAsync(ct);
        }

        public async ValueTask SaveHeadAsync(LogHead head, CancellationToken ct)
        {
            await using var update = Command("UPDATE tenants SET log_size = $size, frontier = $frontier WHERE id = $t");
            update.Parameters.AddWithValue("$size", head.Size);
            update.Parameters.AddWithValue("$frontier", head.Frontier.Serialize());
            update.Parameters.AddWithValue("$t", head.TenantId);
            await update.ExecuteNonQueryAsync(ct);
        }

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
            foreach (var command in new[] { _insertEvent, _insertTarget, _insertNode, _findById, _insertActorEmail })
            {
                if (command is not null)
                {
                    await command.DisposeAsync();
                }
            }
        }
    }
}
