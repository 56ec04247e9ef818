using System.Data.Common;
using Witness.Access;
using Witness.Alerts;
using Witness.Catalog;
using Witness.Streams;
using Witness.Webhooks;

namespace Witness.Storage;

/// <summary>
/// The column lists and row readers of the tables whose SQL is the same in every store (webhooks and
/// their deliveries, alert rules, console users, catalog entries, log streams). The stores differ only in
/// how a time is kept (SQLite: Unix milliseconds, PostgreSQL: <c>timestamptz</c>), which each passes as
/// <c>readTime(reader, ordinal)</c>, and how a list of strings is kept (SQLite: a JSON array, PostgreSQL:
/// <c>text[]</c>), passed as <c>readList</c>. A reader reads a row selected with its column list, in that order.
/// </summary>
public sealed class StoreRows(Func<DbDataReader, int, DateTimeOffset> readTime, Func<DbDataReader, int, IReadOnlyList<string>> readList)
{
    /// <summary>The columns of <c>webhooks</c>, in the order <see cref="Webhook"/> reads them.</summary>
    public const string WebhookColumns = "id, tenant, url, secret, event_types, enabled, description, created_at, updated_at";

    /// <summary>The columns of <c>webhook_deliveries</c>, in the order <see cref="Delivery"/> reads them.</summary>
    public const string DeliveryColumns =
        "id, webhook_id, tenant, message_id, event_type, payload, status, attempts, next_attempt_at, last_status, last_error, created_at, completed_at";

    /// <summary>The columns of <c>alert_rules</c>, in the order <see cref="AlertRule"/> reads them.</summary>
    public const string AlertRuleColumns = "id, tenant, name, kind, query, threshold, window_minutes, group_by, dimension, enabled, created_at, updated_at";

    /// <summary>The columns of <c>console_users</c>, in the order <see cref="User"/> reads them.</summary>
    public const string UserColumns = "id, email, name, tenant, role, password_salt, password_hash, password_iterations, created_at, session_stamp";

    /// <summary>The columns of <c>catalog_entries</c>, in the order <see cref="CatalogEntry"/> reads them.</summary>
    public const string CatalogColumns = "layer, action, category, type, crud, template, description, updated_at, personal";

    /// <summary>The columns of <c>log_streams</c>, in the order <see cref="Stream"/> reads them.</summary>
    public const string StreamColumns =
        "id, tenant, name, kind, url, format, secret, ca_pem, pinned_sha256, types, categories, query, paused, created_at, updated_at, " +
        "delivered_seq, delivered_at, last_error, last_error_at, failing_since, failure_recorded, lease_owner, lease_until";

    /// <summary>Reads a row of <see cref="WebhookColumns"/>; the event types are kept space-separated.</summary>
    public Webhook Webhook(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Tenant = r.GetString(1),
        Url = r.GetString(2),
        Secret = r.GetString(3),
        EventTypes = r.GetString(4).Split(' ', StringSplitOptions.RemoveEmptyEntries),
        Enabled = r.GetBoolean(5),
        Description = r.IsDBNull(6) ? null : r.GetString(6),
        CreatedAt = readTime(r, 7),
        UpdatedAt = readTime(r, 8),
    };

    /// <summary>Reads a row of <see cref="DeliveryColumns"/>.</summary>
    public WebhookDelivery Delivery(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        WebhookId = r.GetString(1),
        Tenant = r.GetString(2),
        MessageId = r.GetString(3),
        EventType = r.GetString(4),
        Payload = r.GetFieldValue<byte[]>(5),
        Status = r.GetString(6),
        Attempts = r.GetInt32(7),
        NextAttemptAt = readTime(r, 8),
        LastStatus = r.IsDBNull(9) ? null : r.GetInt32(9),
        LastError = r.IsDBNull(10) ? null : r.GetString(10),
        CreatedAt = readTime(r, 11),
        CompletedAt = r.IsDBNull(12) ? null : readTime(r, 12),
    };

    /// <summary>Reads a row of <see cref="AlertRuleColumns"/>.</summary>
    public AlertRule AlertRule(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Tenant = r.GetString(1),
        Name = r.GetString(2),
        Kind = r.GetString(3),
        Query = r.GetString(4),
        Threshold = r.IsDBNull(5) ? null : r.GetInt32(5),
        WindowMinutes = r.IsDBNull(6) ? null : r.GetInt32(6),
        GroupBy = r.IsDBNull(7) ? null : r.GetString(7),
        Dimension = r.IsDBNull(8) ? null : r.GetString(8),
        Enabled = r.GetBoolean(9),
        CreatedAt = readTime(r, 10),
        UpdatedAt = readTime(r, 11),
    };

    /// <summary>Reads a row of <see cref="UserColumns"/>.</summary>
    public ConsoleUser User(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.IsDBNull(2) ? null : r.GetString(2),
        r.IsDBNull(3) ? null : r.GetString(3),
        r.GetString(4),
        new PasswordHash(r.GetFieldValue<byte[]>(5), r.GetFieldValue<byte[]>(6), r.GetInt32(7)),
        readTime(r, 8))
    {
        SessionStamp = r.GetString(9),
    };

    /// <summary>Reads a row of <see cref="CatalogColumns"/>; the global layer is stored as '' and read as a null tenant.</summary>
    public StoredCatalogEntry CatalogEntry(DbDataReader r)
    {
        var layer = r.GetString(0);
        return new StoredCatalogEntry(
            layer.Length == 0 ? null : layer,
            new ActionDefinition(r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6))
            {
                Personal = r.IsDBNull(8) ? [] : r.GetString(8).Split('\n'),
            },
            readTime(r, 7));
    }

    /// <summary>How <see cref="ActionDefinition.Personal"/> is stored: one path per line, or null when there is none.</summary>
    public static string? PersonalPathsText(ActionDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.Personal.Count == 0 ? null : string.Join('\n', definition.Personal);
    }

    /// <summary>Reads a row of <see cref="StreamColumns"/>: the definition, the durable cursor and the lease.</summary>
    public LogStream Stream(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Tenant = r.GetString(1),
        Name = r.GetString(2),
        Kind = r.GetString(3),
        Url = r.GetString(4),
        Format = r.GetString(5),
        Secret = Text(r, 6),
        CaPem = Text(r, 7),
        PinnedSha256 = Text(r, 8),
        Types = readList(r, 9),
        Categories = readList(r, 10),
        Query = r.GetString(11),
        Paused = r.GetBoolean(12),
        CreatedAt = readTime(r, 13),
        UpdatedAt = readTime(r, 14),
        Progress = new StreamProgress
        {
            DeliveredSeq = r.GetInt64(15),
            DeliveredAt = Time(r, 16),
            LastError = Text(r, 17),
            LastErrorAt = Time(r, 18),
            FailingSince = Time(r, 19),
            FailureRecorded = r.GetBoolean(20),
        },
        LeaseOwner = Text(r, 21),
        LeaseUntil = Time(r, 22),
    };

    private DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : readTime(r, i);

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
