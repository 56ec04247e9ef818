namespace Witness.Access;

/// <summary>
/// The roles of console users (SPEC §6). <see cref="Administrator"/> and <see cref="Auditor"/> hold
/// the <i>View audit logs</i> permission (view and export); <see cref="Member"/> holds none.
/// </summary>
public static class ConsoleRoles
{
    public const string Administrator = "Administrator";
    public const string Auditor = "Auditor";
    public const string Member = "Member";

    public static IReadOnlyList<string> All { get; } = [Administrator, Auditor, Member];

    /// <summary>Whether the role may open the audit log and export it.</summary>
    public static bool CanViewAuditLogs(string role) => role is Administrator or Auditor;

    /// <summary>Whether the role may change retention, legal hold, alert rules and webhooks.</summary>
    public static bool CanManageSettings(string role) => role is Administrator;

    /// <summary>The role's canonical spelling for a name given in any case, or null for an unknown role.</summary>
    public static string? Parse(string? name) =>
        All.FirstOrDefault(r => string.Equals(r, name?.Trim(), StringComparison.OrdinalIgnoreCase));
}
