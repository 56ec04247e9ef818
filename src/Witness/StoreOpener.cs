using Witness.Storage;
using Microsoft.Extensions.DependencyInjection;
using Witness.Server;

namespace Witness.Cli;

/// <summary>Opens the store a command works on, exactly as <c>serve</c> would.</summary>
public static class StoreOpener
{
    /// <summary>The environment variable holding a PostgreSQL connection string, the default of <c>--postgres</c>.</summary>
    public const string PostgresVariable = "WITNESS_POSTGRES";

    /// <summary>Opens SQLite in <paramref name="dataDirectory"/>, or PostgreSQL when <c>WITNESS_POSTGRES</c> is set.</summary>
    public static Task<IWitnessStore> OpenAsync(string dataDirectory, CancellationToken ct) =>
        OpenAsync(dataDirectory, Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } postgres ? postgres : null, ct);

    /// <summary>
    /// Opens PostgreSQL when <paramref name="postgresConnectionString"/> is given, else SQLite in
    /// <paramref name="dataDirectory"/>. Throws <see cref="InvalidOperationException"/> with a readable
    /// message when the store cannot be opened or refuses to run.
    /// </summary>
    public static async Task<IWitnessStore> OpenAsync(string dataDirectory, string? postgresConnectionString, CancellationToken ct)
    {
        // The registration serve uses (WitnessStoreRegistration); the command owns the store it gets and
        // disposes it, and the container holds nothing else to close.
        var services = new ServiceCollection().AddWitnessStore(dataDirectory, postgresConnectionString, TimeProvider.System);
        var store = services.BuildServiceProvider().GetRequiredService<IWitnessStore>();
        try
        {
            await store.InitializeAsync(ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }
}
