namespace Witness.Storage;

/// <summary>What a readiness probe asks a store: can a new connection write, are commits durable, is the schema current.</summary>
public interface IStoreHealth
{
    /// <summary>
    /// Opens a new connection, reads the durability settings and the applied migrations, and makes a
    /// write that is rolled back (nothing changes). Throws when the store cannot be reached.
    /// </summary>
    Task<StoreHealth> CheckHealthAsync(CancellationToken ct);
}

/// <summary>
/// The answer of <see cref="IStoreHealth.CheckHealthAsync"/>. <see cref="WriteError"/> is null when the
/// probe write succeeded; <see cref="Durable"/> says whether the engine still reports fsynced commits.
/// </summary>
public sealed record StoreHealth(string? WriteError, bool Durable, string Durability, int MigrationsApplied, int MigrationsKnown)
{
    public bool Ready => WriteError is null && Durable && MigrationsApplied >= MigrationsKnown;
}
