using Witness.Storage;

namespace Witness.Ingest;

/// <summary>Where the ingest path reads a tenant's settings (strict mode); a server keeps them in memory for a few seconds.</summary>
public interface ITenantSettingsSource
{
    /// <summary>The tenant's settings; the defaults for a tenant that has none.</summary>
    ValueTask<TenantSettings> GetAsync(string tenant, CancellationToken ct);
}
