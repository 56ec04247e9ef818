namespace Witness.Storage.Sqlite;

/// <summary>
/// The rows one event adds to <c>events</c> and <c>event_targets</c>, bound by position: the one place
/// their columns are written, used by the store's appends and by the stage benchmark's SQLite-alone
/// row, so that row measures exactly these INSERTs. Runs inside the connection's current transaction.
/// </summary>
internal sealed class SqliteEventRows(Microsoft.Data.Sqlite.SqliteConnection connection) : IDisposable
{
    private SqliteInsertStatement? _event;
    private SqliteInsertStatement? _target;

    /// <summary>Inserts the event's row at <paramref name="rid"/> and a target index row per target; <paramref name="omitted"/> null stores NULL (not checked by verification).</summary>
    public void Insert(long rid, long tenantId, long seq, string eventId, EventIndexKeys k, byte[] contentDigest, byte[] hash, byte[] body, Events.ClientOmitted? omitted = null, byte[]? personal = null)
    {
        _event ??= new SqliteInsertStatement(connection,
            """
            INSERT INTO events (rid, tenant_id, seq, event_id, occurred_at, received_at, type, action, category, outcome,
                                actor_id, actor_email, ip, search_text, content_digest, hash, body, client_omitted, personal)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
            """);
        _event.Bind(1, rid);
        _event.Bind(2, tenantId);
        _event.Bind(3, seq);
        _event.Bind(4, eventId);
        _event.Bind(5, k.OccurredAtMicros);
        _event.Bind(6, k.ReceivedAtMicros);
        _event.Bind(7, k.Type);
        _event.Bind(8, k.Action);
        _event.Bind(9, k.Category);
        _event.Bind(10, k.Outcome);
        _event.Bind(11, k.ActorId);
        _event.Bind(12, k.ActorEmail);
        _event.Bind(13, k.Ip);
        _event.Bind(14, k.SearchText);
        _event.Bind(15, contentDigest);
        _event.Bind(16, hash);
        _event.Bind(17, body);
        if (omitted is { } flags)
        {
            _event.Bind(18, (long)flags);
        }
        else
        {
            _event.Bind(18, (string?)null);
        }

        _event.Bind(19, personal);
        _event.Execute();

        if (k.Targets.Count == 0)
        {
            return;
        }

        _target ??= new SqliteInsertStatement(connection,
            "INSERT OR IGNORE INTO event_targets (tenant_id, target_id, target_type, occurred_at, seq) VALUES (?1, ?2, ?3, ?4, ?5)");
        foreach (var (type, id) in k.Targets)
        {
            _target.Bind(1, tenantId);
            _target.Bind(2, id);
            _target.Bind(3, type);
            _target.Bind(4, k.OccurredAtMicros);
            _target.Bind(5, seq);
            _target.Execute();
        }
    }

    public void Dispose()
    {
        _event?.Dispose();
        _target?.Dispose();
    }
}
