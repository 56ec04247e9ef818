using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Alerts;
using Witness.Catalog;
using Witness.Events;
using Witness.Storage;
using Witness.Streams;
using Witness.Webhooks;

namespace Witness.Server.Auditing;

/// <summary>
/// Records a change to a tenant's configuration (settings, action catalog, alert rules, webhooks, log streams) in
/// the tenant's own log, by whoever made it, with the fields before and after, through the same
/// <see cref="SystemEvents"/> path as a legal hold. The API and the console both call these after
/// the change is saved. Secrets are left out: a webhook's secret is never written, only whether it
/// was replaced.
/// </summary>
internal static class ConfigurationChanges
{
    /// <summary>Retention, time zone and strict mode; nothing is recorded when none changed (a legal hold has its own events).</summary>
    public static Task SettingsAsync(SystemEvents events, string tenant, TenantSettings before, TenantSettings after, EventActor actor, EventContext request, CancellationToken ct)
    {
        var was = new JsonObject();
        var now = new JsonObject();
        if (before.RetentionDays != after.RetentionDays)
        {
            was["retention_days"] = before.RetentionDays;
            now["retention_days"] = after.RetentionDays;
        }

        if (before.TimeZone != after.TimeZone)
        {
            was["time_zone"] = before.TimeZone;
            now["time_zone"] = after.TimeZone;
        }

        if (before.StrictMode != after.StrictMode)
        {
            was["strict_mode"] = before.StrictMode;
            now["strict_mode"] = after.StrictMode;
        }

        if (before.PersonalDataDays != after.PersonalDataDays)
        {
            was["personal_data_days"] = before.PersonalDataDays;
            now["personal_data_days"] = after.PersonalDataDays;
        }

        if (now.Count == 0)
        {
            return Task.CompletedTask;
        }

        var fields = string.Join(", ", now.Select(p => p.Key));
        var target = new EventTarget { Type = "settings", Id = tenant, Name = "Audit log settings" };
        return RecordAsync(events, tenant, ConfigurationActions.SettingsUpdate, target, was, now, new JsonObject { ["fields"] = fields }, actor, request, ct);
    }

    /// <summary>
    /// A tenant's catalog entry was added, changed or removed (<paramref name="change"/>, one of the
    /// catalog actions); before and after are the entries the tenant's events render with, which may
    /// come from the global layer.
    /// </summary>
    public static Task CatalogAsync(
        SystemEvents events, string tenant, ActionDefinition change, string action, ActionDefinition? before, ActionDefinition? after, EventActor actor, EventContext request, CancellationToken ct)
    {
        var definition = change;
        var target = new EventTarget { Type = "catalog_entry", Id = action, Name = after?.Description ?? before?.Description };
        return RecordAsync(events, tenant, definition, target, Fields(before), Fields(after), null, actor, request, ct);

        static JsonObject? Fields(ActionDefinition? d)
        {
            if (d is null)
            {
                return null;
            }

            var fields = new JsonObject
            {
                ["category"] = d.Category,
                ["type"] = d.Type,
                ["crud"] = d.Crud,
                ["template"] = d.Template,
                ["description"] = d.Description,
            };
            if (d.Personal.Count > 0)
            {
                fields["personal"] = new JsonArray([.. d.Personal.Select(p => JsonValue.Create(p))]);
            }

            return fields;
        }
    }

    /// <summary>An alert rule was created (<paramref name="before"/> null), replaced, or deleted (<paramref name="after"/> null).</summary>
    public static Task AlertRuleAsync(SystemEvents events, string tenant, AlertRule? before, AlertRule? after, EventActor actor, EventContext request, CancellationToken ct)
    {
        var definition = before is null ? ConfigurationActions.AlertRuleCreate : after is null ? ConfigurationActions.AlertRuleDelete : ConfigurationActions.AlertRuleUpdate;
        var rule = (after ?? before)!;
        var target = new EventTarget { Type = "alert_rule", Id = rule.Id, Name = rule.Name };
        return RecordAsync(events, tenant, definition, target, Fields(before), Fields(after), null, actor, request, ct);

        static JsonObject? Fields(AlertRule? r) => r is null ? null : new JsonObject
        {
            ["name"] = r.Name,
            ["kind"] = r.Kind,
            ["query"] = r.Query,
            ["threshold"] = r.Threshold,
            ["window_minutes"] = r.WindowMinutes,
            ["group_by"] = r.GroupBy,
            ["dimension"] = r.Dimension,
            ["enabled"] = r.Enabled,
        };
    }

    /// <summary>A webhook was added (<paramref name="before"/> null), replaced, or deleted (<paramref name="after"/> null); its secret is never recorded.</summary>
    public static Task WebhookAsync(SystemEvents events, string tenant, Webhook? before, Webhook? after, bool secretReplaced, EventActor actor, EventContext request, CancellationToken ct)
    {
        var definition = before is null ? ConfigurationActions.WebhookCreate : after is null ? ConfigurationActions.WebhookDelete : ConfigurationActions.WebhookUpdate;
        var webhook = (after ?? before)!;
        var target = new EventTarget { Type = "webhook", Id = webhook.Id, Name = webhook.Url };
        var metadata = definition == ConfigurationActions.WebhookUpdate ? new JsonObject { ["secret_rotated"] = secretReplaced } : null;
        return RecordAsync(events, tenant, definition, target, Fields(before), Fields(after), metadata, actor, request, ct);

        static JsonObject? Fields(Webhook? w) => w is null ? null : new JsonObject
        {
            ["url"] = w.Url,
            ["event_types"] = new JsonArray([.. w.EventTypes.Select(t => (JsonNode?)t)]),
            ["enabled"] = w.Enabled,
            ["description"] = w.Description,
        };
    }

    /// <summary>
    /// A log stream was created (<paramref name="before"/> null), changed, paused or resumed (<paramref name="change"/>), or deleted
    /// (<paramref name="after"/> null). Its token or secret is never recorded, only whether a change gave a new one; a CA
    /// certificate is recorded by the SHA-256 of its PEM text.
    /// </summary>
    public static Task StreamAsync(
        SystemEvents events, string tenant, ActionDefinition change, LogStream? before, LogStream? after, JsonObject? metadata, EventActor actor, EventContext request,
        CancellationToken ct)
    {
        var stream = (after ?? before)!;
        var target = new EventTarget { Type = "log_stream", Id = stream.Id, Name = stream.Name };
        return RecordAsync(events, tenant, change, target, Fields(before), Fields(after), metadata, actor, request, ct);

        static JsonObject? Fields(LogStream? s) => s is null ? null : new JsonObject
        {
            ["name"] = s.Name,
            ["kind"] = s.Kind,
            ["url"] = s.Url,
            ["format"] = s.Format,
            ["types"] = new JsonArray([.. s.Types.Select(t => (JsonNode?)t)]),
            ["categories"] = new JsonArray([.. s.Categories.Select(c => (JsonNode?)c)]),
            ["query"] = s.Query,
            ["ca_pem_sha256"] = s.CaPem is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s.CaPem))),
            ["pinned_sha256"] = s.PinnedSha256,
            ["paused"] = s.Paused,
        };
    }

    /// <summary>Appends one configuration change with <paramref name="action"/>'s type and name; before, after and metadata left out when null.</summary>
    internal static Task RecordAsync(
        SystemEvents events, string tenant, ActionDefinition action, EventTarget target, JsonObject? before, JsonObject? after, JsonObject? metadata,
        EventActor actor, EventContext? request, CancellationToken ct) =>
        events.RecordAsync(new AuditEvent
        {
            Id = "",
            Tenant = tenant,
            OccurredAt = default,
            Type = action.Type,
            Action = action.Action,
            Actor = actor,
            Targets = [target],
            Outcome = Outcomes.Success,
            Context = request,
            Changes = before is null && after is null ? null : new EventChanges { Before = Element(before), After = Element(after) },
            Metadata = Element(metadata),
        }, idempotent: false, ct);

    private static JsonElement? Element(JsonObject? node)
    {
        if (node is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(node.ToJsonString());
        return doc.RootElement.Clone();
    }
}
