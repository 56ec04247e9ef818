using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// The actions Witness records when a tenant's configuration changes (settings, action catalog,
/// alert rules, webhooks, log streams, API keys, console users): built-in like <see cref="BuiltInActions"/>, in the same category. Each
/// carries the changed thing as its first target and its fields in <c>changes.before</c> /
/// <c>changes.after</c>; secrets are never among those fields.
/// </summary>
public static class ConfigurationActions
{
    /// <summary>Retention, time zone or strict mode changed; metadata <c>fields</c> names them (a legal hold has its own actions).</summary>
    public static ActionDefinition SettingsUpdate { get; } =
        new("settings.update", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Changed the audit log settings ({{metadata.fields}})", "Change settings");

    public static ActionDefinition CatalogCreate { get; } =
        new("catalog.create", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Create, "Added {{target.id}} to the action catalog", "Add catalog entry");

    public static ActionDefinition CatalogUpdate { get; } =
        new("catalog.update", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Changed {{target.id}} in the action catalog", "Change catalog entry");

    public static ActionDefinition CatalogDelete { get; } =
        new("catalog.delete", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Delete, "Removed {{target.id}} from the action catalog", "Remove catalog entry");

    public static ActionDefinition AlertRuleCreate { get; } =
        new("alert_rule.create", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Create, "Created alert rule {{target.name}}", "Create alert rule");

    public static ActionDefinition AlertRuleUpdate { get; } =
        new("alert_rule.update", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Changed alert rule {{target.name}}", "Change alert rule");

    public static ActionDefinition AlertRuleDelete { get; } =
        new("alert_rule.delete", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Delete, "Deleted alert rule {{target.name}}", "Delete alert rule");

    /// <summary>A webhook was added; its target's name is its URL.</summary>
    public static ActionDefinition WebhookCreate { get; } =
        new("webhook.create", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Create, "Added webhook {{target.name}}", "Add webhook");

    /// <summary>A webhook changed; metadata <c>secret_rotated</c> says whether its secret was replaced (the secret itself is never recorded).</summary>
    public static ActionDefinition WebhookUpdate { get; } =
        new("webhook.update", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Changed webhook {{target.name}}", "Change webhook");

    public static ActionDefinition WebhookDelete { get; } =
        new("webhook.delete", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Delete, "Deleted webhook {{target.name}}", "Delete webhook");

    /// <summary>A log stream was created; the target is the stream (id, name), <c>changes.after</c> its definition, metadata <c>start_seq</c> the first seq it delivers.</summary>
    public static ActionDefinition StreamCreate { get; } =
        new("stream.create", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Create, "Created log stream {{target.name}}", "Create log stream");

    /// <summary>A log stream's definition changed; metadata <c>secret_replaced</c> says whether a new token or secret was given (never the value).</summary>
    public static ActionDefinition StreamUpdate { get; } =
        new("stream.update", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Changed log stream {{target.name}}", "Change log stream");

    /// <summary>A log stream was paused; <c>changes</c> show <c>paused</c> before and after.</summary>
    public static ActionDefinition StreamPause { get; } =
        new("stream.pause", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Paused log stream {{target.name}}", "Pause log stream");

    /// <summary>A paused log stream was resumed; it goes on from its cursor.</summary>
    public static ActionDefinition StreamResume { get; } =
        new("stream.resume", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Resumed log stream {{target.name}}", "Resume log stream");

    public static ActionDefinition StreamDelete { get; } =
        new("stream.delete", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Delete, "Deleted log stream {{target.name}}", "Delete log stream");

    /// <summary>An API key was created; the target is the key (id and name), <c>changes.after</c> its tenant, scopes and name, never its secret.</summary>
    public static ActionDefinition ApiKeyCreate { get; } =
        new("api_key.create", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Create, "Created API key {{target.name}}", "Create API key");

    /// <summary>An API key was revoked; <c>changes.after.revoked_at</c> says when.</summary>
    public static ActionDefinition ApiKeyRevoke { get; } =
        new("api_key.revoke", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Delete, "Revoked API key {{target.name}}", "Revoke API key");

    /// <summary>A console user was added; the target is the user (id, email as name), <c>changes.after</c> their email, name, role and tenant.</summary>
    public static ActionDefinition ConsoleUserCreate { get; } =
        new("console_user.create", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Create, "Added console user {{target.name}}", "Add console user");

    /// <summary>
    /// A console user's role or password changed: metadata <c>fields</c> names what changed, and
    /// <c>password_changed</c> is true when a new password was set (the password is never recorded).
    /// </summary>
    public static ActionDefinition ConsoleUserUpdate { get; } =
        new("console_user.update", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Update, "Changed console user {{target.name}} ({{metadata.fields}})", "Change console user");

    public static ActionDefinition ConsoleUserDelete { get; } =
        new("console_user.delete", BuiltInActions.Category, LogTypes.Activity, CrudOperations.Delete, "Removed console user {{target.name}}", "Remove console user");

    /// <summary>Every configuration action, ordered by name.</summary>
    public static IReadOnlyList<ActionDefinition> All { get; } =
    [
        AlertRuleCreate, AlertRuleDelete, AlertRuleUpdate, ApiKeyCreate, ApiKeyRevoke, CatalogCreate, CatalogDelete, CatalogUpdate,
        ConsoleUserCreate, ConsoleUserDelete, ConsoleUserUpdate, SettingsUpdate, StreamCreate, StreamDelete, StreamPause, StreamResume, StreamUpdate,
        WebhookCreate, WebhookDelete, WebhookUpdate,
    ];
}
