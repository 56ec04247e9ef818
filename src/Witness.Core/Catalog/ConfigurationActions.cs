using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// The actions Witness records when a tenant's configuration changes (settings, action catalog,
/// alert rules, webhooks): built-in like <see cref="BuiltInActions"/>, in the same category. Each
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

    /// <summary>Every configuration action, ordered by name.</summary>
    public static IReadOnlyList<ActionDefinition> All { get; } =
    [
        AlertRuleCreate, AlertRuleDelete, AlertRuleUpdate, CatalogCreate, CatalogDelete, CatalogUpdate, SettingsUpdate, WebhookCreate, WebhookDelete, WebhookUpdate,
    ];
}
