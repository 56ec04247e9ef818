using System.Collections.Immutable;
using Witness.Events;
using Witness.Storage;

namespace Witness.Catalog;

/// <summary>
/// The action catalogs of all tenants: a global default layer plus one layer per tenant, where a
/// tenant's entry overrides the global entry of the same action and is invisible to other tenants.
/// Thread-safe: readers work on an immutable snapshot without locking; each change builds a new
/// snapshot (copy-on-write), so a reader sees a change entirely or not at all. Each entry's template
/// is compiled once, when the entry is set.
/// </summary>
public sealed class ActionCatalog
{
    // The global layer is stored under "", which no tenant can be named.
    private const string GlobalLayer = "";

    private readonly Lock writeLock = new();
    private ImmutableDictionary<string, ImmutableDictionary<string, CatalogEntry>> layers =
        ImmutableDictionary<string, ImmutableDictionary<string, CatalogEntry>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>A catalog whose global layer holds <see cref="BuiltInActions.All"/>.</summary>
    public static ActionCatalog CreateWithBuiltInActions()
    {
        var catalog = new ActionCatalog();
        catalog.SetRange(null, BuiltInActions.All);
        return catalog;
    }

    /// <summary>
    /// Replaces the whole catalog with the built-in actions plus every entry <paramref name="store"/>
    /// holds, as every process that ingests must see it: the server at start and on each refresh, and
    /// <c>witness import</c> into a data folder. Returns the store's catalog version read before the
    /// entries, so a change made meanwhile shows as a new version next time.
    /// </summary>
    /// <exception cref="CatalogException">A stored entry is invalid; the catalog is left as it was.</exception>
    public async Task<long> LoadAsync(ICatalogStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var version = await store.CatalogVersionAsync(ct).ConfigureAwait(false);
        var stored = await store.ListCatalogAsync(ct).ConfigureAwait(false);
        ReplaceAll(BuiltInActions.All.Select(d => ((string?)null, d)).Concat(stored.Select(s => (s.Tenant, s.Definition))));
        return version;
    }

    /// <summary>The entry for an action as the tenant sees it: the tenant's own, else the global one, else null.</summary>
    public ActionDefinition? Find(string tenant, string action) => FindEntry(tenant, action)?.Definition;

    /// <summary>The personal paths of the entry <see cref="Find"/> returns (<see cref="ActionDefinition.Personal"/>), or null when it marks none or the action is unknown.</summary>
    public PersonalPaths? FindPersonalPaths(string tenant, string action) => FindEntry(tenant, action)?.Personal;

    /// <summary>
    /// The paths an event of the action is sealed with: <see cref="FindPersonalPaths(string, string)"/>, and
    /// <see cref="PersonalPaths.Description"/> when the catalog <paramref name="rendered"/> the event's description from a
    /// template that reads a personal value (<see cref="PersonalPaths.ReadsPersonal"/>), so the copy the description holds
    /// is sealed and erased with the values (docs/erasure.md).
    /// </summary>
    public PersonalPaths? FindPersonalPaths(string tenant, string action, bool rendered) =>
        FindEntry(tenant, action) is { } entry ? (rendered ? entry.PersonalWhenRendered : entry.Personal) : null;

    /// <summary>The compiled template of the entry <see cref="Find"/> returns, or null for an unknown action.</summary>
    public CompiledTemplate? FindTemplate(string tenant, string action) => FindEntry(tenant, action)?.Template;

    /// <summary>The tenant's merged catalog (its own entries over the global ones), ordered by action name.</summary>
    public IReadOnlyList<ActionDefinition> List(string tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var snapshot = Volatile.Read(ref layers);
        var merged = new Dictionary<string, ActionDefinition>(StringComparer.Ordinal);
        foreach (var layer in new[] { GlobalLayer, tenant })
        {
            if (snapshot.TryGetValue(layer, out var entries))
            {
                foreach (var (action, entry) in entries)
                {
                    merged[action] = entry.Definition;
                }
            }
        }

        return merged.Values.OrderBy(d => d.Action, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Only the entries of one layer (null = global), ordered by action name; what a tenant has overridden or added.</summary>
    public IReadOnlyList<ActionDefinition> ListLayer(string? tenant)
    {
        var snapshot = Volatile.Read(ref layers);
        return snapshot.TryGetValue(LayerKey(tenant), out var entries)
            ? entries.Values.Select(e => e.Definition).OrderBy(d => d.Action, StringComparer.Ordinal).ToArray()
            : [];
    }

    /// <summary>Adds or replaces an entry in a tenant's layer, or the global layer when <paramref name="tenant"/> is null.</summary>
    /// <exception cref="CatalogException">The definition is invalid; the errors name its fields.</exception>
    /// <exception cref="ArgumentException">The tenant name is not a valid tenant.</exception>
    public void Set(string? tenant, ActionDefinition definition) => SetRange(tenant, [definition]);

    /// <summary>
    /// Adds or replaces several entries in one layer at once (a preset or a catalog file): either all
    /// are set or, when any is invalid, none.
    /// </summary>
    /// <exception cref="CatalogException">A definition is invalid; errors are named <c>[i].field</c> when there are several.</exception>
    /// <exception cref="ArgumentException">The tenant name is not a valid tenant.</exception>
    public void SetRange(string? tenant, IEnumerable<ActionDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var key = LayerKey(tenant);
        var list = definitions.ToList();
        var compiled = new List<CatalogEntry>(list.Count);
        var errors = new List<ValidationError>();
        for (var i = 0; i < list.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(list[i], nameof(definitions));
            var problems = list[i].ValidateAndCompile(out var template);
            var prefix = list.Count == 1 ? "" : $"[{i}].";
            errors.AddRange(problems.Select(p => p with { Field = prefix + p.Field }));
            if (problems.Count == 0)
            {
                compiled.Add(new CatalogEntry(list[i], template!));
            }
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(null, errors);
        }

        lock (writeLock)
        {
            var current = layers.TryGetValue(key, out var existing)
                ? existing
                : ImmutableDictionary<string, CatalogEntry>.Empty.WithComparers(StringComparer.Ordinal);
            var updated = current.SetItems(compiled.Select(e => KeyValuePair.Create(e.Definition.Action, e)));
            Volatile.Write(ref layers, layers.SetItem(key, updated));
        }
    }

    /// <summary>
    /// Replaces every layer at once with <paramref name="entries"/> (tenant null = global), as when the
    /// catalog is loaded from a store: a reader sees the old catalog or the new one, never a mix. A
    /// later entry for the same layer and action replaces an earlier one, so base entries (the
    /// built-in actions) go first. Either every entry is valid and the catalog is replaced, or none is.
    /// </summary>
    /// <exception cref="CatalogException">An entry is invalid; errors are named <c>TENANT/ACTION.field</c> (<c>*</c> for the global layer).</exception>
    /// <exception cref="ArgumentException">A tenant name is not a valid tenant.</exception>
    public void ReplaceAll(IEnumerable<(string? Tenant, ActionDefinition Definition)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var built = new Dictionary<string, ImmutableDictionary<string, CatalogEntry>.Builder>(StringComparer.Ordinal);
        var errors = new List<ValidationError>();
        foreach (var (tenant, definition) in entries)
        {
            ArgumentNullException.ThrowIfNull(definition, nameof(entries));
            var key = LayerKey(tenant);
            var problems = definition.ValidateAndCompile(out var template);
            if (problems.Count > 0)
            {
                errors.AddRange(problems.Select(p => p with { Field = $"{tenant ?? "*"}/{definition.Action}.{p.Field}" }));
                continue;
            }

            if (!built.TryGetValue(key, out var layer))
            {
                layer = ImmutableDictionary.CreateBuilder<string, CatalogEntry>(StringComparer.Ordinal);
                built.Add(key, layer);
            }

            layer[definition.Action] = new CatalogEntry(definition, template!);
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(null, errors);
        }

        var replacement = built.ToImmutableDictionary(l => l.Key, l => l.Value.ToImmutable(), StringComparer.Ordinal);
        lock (writeLock)
        {
            Volatile.Write(ref layers, replacement);
        }
    }

    /// <summary>
    /// Removes an entry from one layer (null = global). Removing a tenant's override makes the global
    /// entry visible to that tenant again. Returns whether there was an entry to remove.
    /// </summary>
    public bool Remove(string? tenant, string action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var key = LayerKey(tenant);
        lock (writeLock)
        {
            if (!layers.TryGetValue(key, out var entries) || !entries.ContainsKey(action))
            {
                return false;
            }

            var updated = entries.Remove(action);
            Volatile.Write(ref layers, updated.IsEmpty ? layers.Remove(key) : layers.SetItem(key, updated));
            return true;
        }
    }

    /// <summary>
    /// The sentence for an event: the action's template rendered when the tenant's catalog knows the
    /// action, else the event's own description, else the action name. Never throws for a known action.
    /// </summary>
    public string Describe(string tenant, AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var entry = FindEntry(tenant, e.Action);
        return entry?.Template.Render(e) ?? e.Description ?? e.Action;
    }

    /// <summary>
    /// The event's description as segments, for the console to escape and link: the template's
    /// segments when the tenant's catalog knows the action and the event's description is what the
    /// template renders (or is absent); otherwise the description, or the action name, as one text
    /// segment. A description the client wrote, or one rendered from an older template, is shown as
    /// it was stored.
    /// </summary>
    public IReadOnlyList<TemplateSegment> DescribeSegments(string tenant, AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var template = FindEntry(tenant, e.Action)?.Template;
        if (template is not null && (e.Description is null || e.Description == template.Render(e)))
        {
            return template.RenderSegments(e);
        }

        return [new TemplateSegment(e.Description ?? e.Action)];
    }

    /// <summary>
    /// Completes an event from the tenant's catalog, treating an event of type <c>activity</c> as one
    /// that left its type out (the parser's default). Use the overload with <c>typeWasGiven</c> when
    /// the caller knows.
    /// </summary>
    public AuditEvent Apply(string tenant, AuditEvent e) => Apply(tenant, e, typeWasGiven: e.Type != LogTypes.Activity);

    /// <summary>
    /// Completes an event from the tenant's catalog when it knows the action: fills
    /// <see cref="AuditEvent.Category"/> when the event has none, <see cref="AuditEvent.Type"/> when
    /// <paramref name="typeWasGiven"/> is false, and <see cref="AuditEvent.Description"/> with the
    /// rendered template when the event has none. What the event gave is never replaced. An unknown
    /// action returns the event unchanged.
    /// </summary>
    public AuditEvent Apply(string tenant, AuditEvent e, bool typeWasGiven)
    {
        ArgumentNullException.ThrowIfNull(e);
        var entry = FindEntry(tenant, e.Action);
        if (entry is null)
        {
            return e;
        }

        var definition = entry.Definition;
        var category = e.Category ?? definition.Category;
        var type = typeWasGiven ? e.Type : definition.Type;

        // An event that needs nothing stays the same object, so what was prepared for it (its canonical bytes) still applies.
        var completed = category == e.Category && type == e.Type ? e : e with { Category = category, Type = type };

        // Rendered from the completed event, so a template that names the category or type reads the filled-in values.
        return e.Description is null ? completed with { Description = entry.Template.Render(completed) } : completed;
    }

    private CatalogEntry? FindEntry(string tenant, string action)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(action);
        var snapshot = Volatile.Read(ref layers);
        if (snapshot.TryGetValue(tenant, out var own) && own.TryGetValue(action, out var entry))
        {
            return entry;
        }

        return snapshot.TryGetValue(GlobalLayer, out var global) && global.TryGetValue(action, out entry) ? entry : null;
    }

    private static string LayerKey(string? tenant)
    {
        if (tenant is null)
        {
            return GlobalLayer;
        }

        if (!EventParser.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a tenant: 1–64 characters of A-Z a-z 0-9 . _ -", nameof(tenant));
        }

        return tenant;
    }
}
