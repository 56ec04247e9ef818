using System.Security.Cryptography;

namespace Witness.Server.Tests.Support;

/// <summary>
/// What the multi-instance tests start from: one throwaway PostgreSQL database, a folder, and one signing
/// key that every <c>witness serve --postgres</c> process started here shares.
/// </summary>
internal sealed class SharedPostgresInstances : IAsyncDisposable
{
    private SharedPostgresInstances(PostgresTestDatabase database, string folder, string keyFile)
    {
        Database = database;
        Folder = folder;
        KeyFile = keyFile;
    }

    public PostgresTestDatabase Database { get; }

    public string ConnectionString => Database.ConnectionString;

    public string Folder { get; }

    public string KeyFile { get; }

    public static async Task<SharedPostgresInstances> CreateAsync(string name)
    {
        var database = await PostgresTestDatabase.CreateAsync();
        var folder = TempFolder.Create(name);
        var keyFile = Path.Combine(folder, "shared-signing-key.pem");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        return new SharedPostgresInstances(database, folder, keyFile);
    }

    /// <summary>Starts <c>witness serve</c> with its data folder <paramref name="name"/>, on the shared database and key.</summary>
    public Task<WitnessProcess> ServeAsync(string name, params string[] extraArgs) =>
        WitnessProcess.ServeAsync(Path.Combine(Folder, name), ["--postgres", ConnectionString, "--signing-key", KeyFile, .. extraArgs]);

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        TempFolder.Delete(Folder);
    }
}
