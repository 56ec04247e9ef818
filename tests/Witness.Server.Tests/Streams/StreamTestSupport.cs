using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

internal static class StreamTestSupport
{
    /// <summary>A loopback port nothing listens on (taken and given back at once).</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static byte[] Gunzip(byte[] body)
    {
        using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}

/// <summary>
/// The store a streams test runs on, named by the test's data row (<c>sqlite</c> or <c>postgres</c>): SQLite in the
/// server's data folder, or a fresh PostgreSQL database, dropped when this is disposed (after the servers on it).
/// </summary>
internal sealed class StreamTestStore : IAsyncDisposable
{
    private readonly PostgresTestDatabase? _database;

    private StreamTestStore(PostgresTestDatabase? database) => _database = database;

    public static async Task<StreamTestStore> CreateAsync(string kind) => kind switch
    {
        "sqlite" => new StreamTestStore(null),
        "postgres" => new StreamTestStore(await PostgresTestDatabase.CreateAsync()),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "sqlite or postgres"),
    };

    /// <summary>Starts a server on this store; <paramref name="dataDirectory"/> as for <see cref="RunningServer.StartAsync"/> (kept for a restart).</summary>
    public Task<RunningServer> StartServerAsync(Action<WitnessServerOptions>? configure = null, string? dataDirectory = null) =>
        RunningServer.StartAsync(o =>
        {
            o.PostgresConnectionString = _database?.ConnectionString;
            configure?.Invoke(o);
        }, dataDirectory, sqliteOnly: _database is null);

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
