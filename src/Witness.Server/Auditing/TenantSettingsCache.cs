using System.Collections.Concurrent;
using Witness.Storage;

namespace Witness.Server.Auditing;

/// <summary>
/// Tenant settings as the ingest path reads them: from memory, refreshed after a few seconds so
/// that other instances' changes arrive, and at once when this instance saves them.
/// </summary>
internal sealed class TenantSettingsCache(IWitnessStore store, TimeProvider clock) : Witness.Ingest.ITenantSettingsSource
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (TenantSettings Settings, DateTimeOffset ReadAt)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<TenantSettings> GetAsync(string tenant, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(tenant, out var cached) && now - cached.ReadAt < Freshness)
        {
            return cached.Settings;
        }

        var settings = await store.GetSettingsAsync(tenant, ct);
        _cache[tenant] = (settings, now);
        return settings;
    }

    public async Task SaveAsync(string tenant, TenantSettings settings, CancellationToken ct)
    {
        await store.SaveSettingsAsync(tenant, settings, ct);
        _cache[tenant] = (settings, clock.GetUtcNow());
    }
}
