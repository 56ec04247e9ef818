using Witness.Events;
using Witness.Storage;

namespace Witness.Ingest;

/// <summary>
/// What an append needs of an event that does not depend on its place in the log: its canonical
/// template and index keys, worked out on the submitting thread so that the group commit, while it
/// holds the tenant's log, only stamps seq and received_at in and hashes.
/// </summary>
public sealed record PreparedEvent(CanonicalTemplate Template, EventIndexKeys Keys)
{
    public static PreparedEvent Of(AuditEvent e) => new(CanonicalTemplate.Of(e), EventIndexKeys.From(e));

    /// <summary>Whether this was prepared from exactly <paramref name="e"/> (an event changed since must be prepared again).</summary>
    public bool IsFor(AuditEvent e) => ReferenceEquals(Template.Source, e);
}
