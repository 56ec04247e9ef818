using Witness.Storage;
using Witness.Storage.Sqlite;

namespace Witness.Cli;

/// <summary>Opens the store a command works on, exactly as <c>serve</c> would.</summary>
public static class StoreOpener
{
    public static async Task<IWitnessStore> OpenAsync(string dataDirectory, CancellationToken ct)
    {
        var store = new SqliteStore(SqliteStoreOptions.InFolder(dataDirectory));
        await store.InitializeAsync(ct);
        return store;
    }
}
