using Witness.Alerts;

namespace Witness.Storage;

/// <summary>
/// Alert rules and the little state their evaluation keeps: the values a first-seen rule has seen
/// per actor, and how far each tenant's log has been evaluated. Rule reads and writes are always
/// scoped by tenant; the evaluator reads across tenants.
/// </summary>
public interface IAlertStore
{
    /// <summary>The tenant's rules, oldest first.</summary>
    Task<IReadOnlyList<AlertRule>> ListAlertRulesAsync(string tenant, CancellationToken ct);

    /// <summary>Every enabled rule of every tenant.</summary>
    Task<IReadOnlyList<AlertRule>> ListEnabledAlertRulesAsync(CancellationToken ct);

    Task<AlertRule?> FindAlertRuleAsync(string tenant, string id, CancellationToken ct);

    /// <summary>Inserts the rule, or replaces the tenant's rule with the same id.</summary>
    Task SaveAlertRuleAsync(AlertRule rule, CancellationToken ct);

    /// <summary>Deletes the rule and its seen values; false when the tenant has no such rule.</summary>
    Task<bool> DeleteAlertRuleAsync(string tenant, string id, CancellationToken ct);

    /// <summary>The values (IPs or countries) a first-seen rule has recorded for an actor.</summary>
    Task<IReadOnlySet<string>> GetSeenValuesAsync(string ruleId, string actor, CancellationToken ct);

    /// <summary>Records (actor, value) pairs for a first-seen rule; pairs already recorded are ignored.</summary>
    Task AddSeenValuesAsync(string ruleId, IReadOnlyCollection<(string Actor, string Value)> pairs, CancellationToken ct);

    /// <summary>Forgets every value a rule has seen (its query or dimension changed).</summary>
    Task ClearSeenValuesAsync(string ruleId, CancellationToken ct);

    /// <summary>The last seq of the tenant's log whose events were evaluated, or null when never saved.</summary>
    Task<long?> GetAlertCursorAsync(string tenant, CancellationToken ct);

    Task SaveAlertCursorAsync(string tenant, long seq, CancellationToken ct);
}
