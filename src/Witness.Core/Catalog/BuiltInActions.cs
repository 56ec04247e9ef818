using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// The actions Witness records about itself, in the category "Audit log": the global default
/// catalog layer every tenant sees unless it overrides an entry. The metadata fields each template
/// reads are part of the contract with the code that records these events.
/// </summary>
public static class BuiltInActions
{
    public const string Category = "Audit log";

    /// <summary>Someone opened the audit log (recorded at most once per user or key per 10 minutes).</summary>
    public static ActionDefinition AuditLogView { get; } =
        new("audit_log.view", Category, LogTypes.Access, CrudOperations.Read, "Viewed the audit log", "View audit log");

    /// <summary>An export; metadata <c>format</c> (csv, json, ndjson, pdf) and <c>rows</c> (the row count).</summary>
    public static ActionDefinition AuditLogExport { get; } =
        new("audit_log.export", Category, LogTypes.Access, CrudOperations.Read, "Exported the audit log as {{metadata.format}} ({{metadata.rows}} rows)", "Export audit log");

    /// <summary>Retention purged the oldest events; metadata <c>events</c> (how many) and <c>retention_days</c>.</summary>
    public static ActionDefinition LogPurge { get; } =
        new("log.purge", Category, LogTypes.Activity, CrudOperations.Delete, "Purged {{metadata.events}} events older than {{metadata.retention_days}} days", "Purge old events");

    /// <summary>A subject's personal values were erased (docs/erasure.md); metadata <c>subject</c> (email or actor_id, never the value) and <c>events</c>.</summary>
    public static ActionDefinition PrivacyErase { get; } =
        new("privacy.erase", Category, LogTypes.Activity, CrudOperations.Delete, "Erased the personal values of a subject (by {{metadata.subject}}) in {{metadata.events}} events", "Erase personal data");

    /// <summary>Personal values older than the tenant's personal_data_days were erased; metadata <c>events</c> and <c>personal_data_days</c>.</summary>
    public static ActionDefinition PrivacyExpire { get; } =
        new("privacy.expire", Category, LogTypes.Activity, CrudOperations.Delete, "Erased the personal values of {{metadata.events}} events older than {{metadata.personal_data_days}} days", "Expire personal data");

    /// <summary>An alert rule fired; the first target is the rule (its name is shown).</summary>
    public static ActionDefinition AlertFired { get; } =
        new("alert.fired", Category, LogTypes.Activity, CrudOperations.Other, "Alert rule {{target.name}} fired", "Alert fired");

    public static ActionDefinition ConsoleSignIn { get; } =
        new("console.sign_in", Category, LogTypes.Access, CrudOperations.Other, "Signed in to the audit console", "Console sign-in");

    public static ActionDefinition ConsoleSignOut { get; } =
        new("console.sign_out", Category, LogTypes.Access, CrudOperations.Other, "Signed out of the audit console", "Console sign-out");

    public static ActionDefinition ConsoleSignInFailed { get; } =
        new("console.sign_in_failed", Category, LogTypes.Access, CrudOperations.Other, "Failed to sign in to the audit console", "Console sign-in failed");

    public static ActionDefinition LegalHoldSet { get; } =
        new("legal_hold.set", Category, LogTypes.Activity, CrudOperations.Create, "Placed a legal hold: retention stops purging events", "Set legal hold");

    public static ActionDefinition LegalHoldRelease { get; } =
        new("legal_hold.release", Category, LogTypes.Activity, CrudOperations.Delete, "Released the legal hold: retention purges old events again", "Release legal hold");

    /// <summary>Every built-in action, ordered by name, then the <see cref="ConfigurationActions"/>.</summary>
    public static IReadOnlyList<ActionDefinition> All { get; } =
    [
        AlertFired, AuditLogExport, AuditLogView, ConsoleSignIn, ConsoleSignInFailed, ConsoleSignOut, LegalHoldRelease, LegalHoldSet, LogPurge, PrivacyErase, PrivacyExpire,
        .. ConfigurationActions.All,
    ];
}
