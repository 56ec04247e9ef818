namespace Witness.Storage;

/// <summary>
/// Listing and revoking API keys (<c>witness keys list|revoke</c>, the console's API keys page).
/// Revoking is immediate everywhere: <see cref="IWitnessStore.FindApiKeyAsync"/> reads the store on
/// every request and never returns a revoked key. Safe to call concurrently.
/// </summary>
public interface IApiKeyStore
{
    /// <summary>The keys bound to <paramref name="tenant"/>, or every key (global ones included) when null; revoked keys too, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? tenant, CancellationToken ct);

    /// <summary>Marks the key revoked at <paramref name="now"/>; false when no such key exists or it was already revoked.</summary>
    Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset now, CancellationToken ct);
}
