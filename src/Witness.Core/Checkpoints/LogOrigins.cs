namespace Witness.Checkpoints;

/// <summary>
/// The checkpoint origins of a server's logs, from the origin prefix the operator chose (<c>serve --origin</c>).
/// A schema-less URL prefix (one with a dot or a slash, such as <c>audit.example.com</c>) names tenant logs
/// <c>&lt;prefix&gt;/tenants/&lt;tenant&gt;</c> and the heads log <c>&lt;prefix&gt;/heads</c>. A bare name (the
/// default <c>witness</c>) keeps the layout logs were signed under before prefixes, <c>&lt;name&gt;/&lt;tenant&gt;</c>,
/// so they keep verifying; its heads log is <c>&lt;name&gt;/~heads</c>, which no tenant name can be.
/// </summary>
public static class LogOrigins
{
    /// <summary>The origin of a tenant's log.</summary>
    public static string Tenant(string prefix, string tenant) =>
        IsUrlPrefix(prefix) ? $"{prefix}/tenants/{tenant}" : $"{prefix}/{tenant}";

    /// <summary>The origin of the heads log, the log of every tenant's checkpoints.</summary>
    public static string Heads(string prefix) =>
        IsUrlPrefix(prefix) ? $"{prefix}/heads" : $"{prefix}/~heads";

    private static bool IsUrlPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.Contains('.', StringComparison.Ordinal) || prefix.Contains('/', StringComparison.Ordinal);
    }
}
