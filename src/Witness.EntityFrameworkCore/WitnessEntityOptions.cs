using System.Linq.Expressions;
using System.Reflection;

namespace Witness.EntityFrameworkCore;

/// <summary>
/// Which entity types become audit events and how: each mapped type records <c>{prefix}.create</c>,
/// <c>{prefix}.update</c> and <c>{prefix}.delete</c> with one target of type <c>{prefix}</c>, its primary key as id
/// and an optional name. Unmapped types are not recorded.
/// </summary>
public sealed class WitnessEntityOptions
{
    private readonly Dictionary<Type, EntityAuditMap> _maps = [];

    /// <summary>
    /// True (the default): events are written to the <c>witness_outbox</c> table in the same database transaction as the
    /// change, and a hosted service delivers them; a change and its event commit or roll back together. False: events go
    /// to <see cref="Witness.Client.IAuditLog"/> once the transaction commits (nothing is recorded for a rollback), with
    /// the sender's guarantees.
    /// </summary>
    public bool UseOutbox { get; set; } = true;

    /// <summary>Outbox rows sent per request, 1–1,000; default 500.</summary>
    public int OutboxBatchSize { get; set; } = 500;

    /// <summary>How often the delivery service looks at the outbox when nothing signalled it; default 1 s.</summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between deliveries while Witness is unreachable; default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Records <typeparamref name="TEntity"/> under <paramref name="actionPrefix"/> (<c>inbox</c> → <c>inbox.create</c>).</summary>
    /// <param name="actionPrefix">The action prefix and target type.</param>
    /// <param name="name">The target's name, such as <c>i =&gt; i.Name</c>.</param>
    /// <param name="sensitive">Properties whose values never leave the application (recorded as <c>[redacted]</c>), besides those marked <see cref="AuditSensitiveAttribute"/>.</param>
    public WitnessEntityOptions Map<TEntity>(string actionPrefix, Func<TEntity, string?>? name = null, params Expression<Func<TEntity, object?>>[] sensitive)
        where TEntity : class
    {
        ArgumentException.ThrowIfNullOrEmpty(actionPrefix);
        var names = sensitive.Select(MemberName).ToHashSet(StringComparer.Ordinal);
        foreach (var property in typeof(TEntity).GetProperties().Where(p => p.GetCustomAttribute<AuditSensitiveAttribute>() is not null))
        {
            names.Add(property.Name);
        }

        _maps[typeof(TEntity)] = new EntityAuditMap(actionPrefix, name is null ? null : e => name((TEntity)e), names);
        return this;
    }

    internal EntityAuditMap? Find(Type clrType) => _maps.GetValueOrDefault(clrType);

    internal IEnumerable<Type> MappedTypes => _maps.Keys;

    private static string MemberName<TEntity>(Expression<Func<TEntity, object?>> expression) =>
        (expression.Body is UnaryExpression { Operand: MemberExpression inner } ? inner : expression.Body as MemberExpression)?.Member.Name
        ?? throw new ArgumentException("A sensitive property is named by a property access, such as w => w.Secret.", nameof(expression));
}

/// <summary>A property whose value never leaves the application: audit events say <c>[redacted]</c> instead.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AuditSensitiveAttribute : Attribute;

internal sealed record EntityAuditMap(string Prefix, Func<object, string?>? Name, IReadOnlySet<string> Sensitive)
{
    public string CreateAction { get; } = Prefix + ".create";

    public string UpdateAction { get; } = Prefix + ".update";

    public string DeleteAction { get; } = Prefix + ".delete";
}
