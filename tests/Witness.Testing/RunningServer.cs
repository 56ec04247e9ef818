using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Server;
using Witness.Storage;

namespace Witness.Testing;

/// <summary>
/// A real Witness server (Kestrel) on a free loopback port with its own data folder, stopped and
/// deleted when disposed. Tests talk to it over HTTP like any client. With env
/// <c>WITNESS_TEST_STORE=postgres</c> it runs on PostgreSQL instead of SQLite, in a fresh database per
/// data folder (dropped with a folder the server made itself; kept for a caller's folder, so a
/// restart finds its events): <c>WITNESS_TEST_STORE=postgres bash scripts/test</c> runs every HTTP test on PostgreSQL.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsData;
    private static readonly ConcurrentDictionary<string, Lazy<Task<PostgresTestDatabase>>> Databases = new(StringComparer.Ordinal);

    private RunningServer(WebApplication app, Uri address, string dataDirectory, WitnessServerOptions options, bool ownsData)
    {
        _app = app;
        _ownsData = ownsData;
        Address = address;
        DataDirectory = dataDirectory;
        Options = options;
    }

    public Uri Address { get; }
    public string DataDirectory { get; }
    public WitnessServerOptions Options { get; }
    public IServiceProvider Services => _app.Services;
    public IWitnessStore Store => _app.Services.GetRequiredService<IWitnessStore>();

    /// <summary>Whether servers run on PostgreSQL (env <c>WITNESS_TEST_STORE=postgres</c>) rather than SQLite.</summary>
    public static bool OnPostgres => string.Equals(Environment.GetEnvironmentVariable("WITNESS_TEST_STORE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Starts a server; <paramref name="configure"/> may change options (the clock, checkpoint timing).
    /// A <paramref name="dataDirectory"/> given by the caller is kept when the server stops (for restarts);
    /// otherwise a fresh folder is made and deleted.
    /// </summary>
    /// <param name="configure">Changes options before the server is built.</param>
    /// <param name="dataDirectory">A folder to reuse (kept when the server stops), or null for a fresh one.</param>
    /// <param name="sqliteOnly">Run on SQLite even under <c>WITNESS_TEST_STORE=postgres</c>: for tests that open the SQLite file themselves.</param>
    public static async Task<RunningServer> StartAsync(Action<WitnessServerOptions>? configure = null, string? dataDirectory = null, bool sqliteOnly = false)
    {
        var ownsData = dataDirectory is null;
        dataDirectory ??= TempFolder.Create("witness-server");
        var options = new WitnessServerOptions { DataDirectory = dataDirectory, Urls = "http://127.0.0.1:0" };
        if (OnPostgres && !sqliteOnly)
        {
            var database = await Databases.GetOrAdd(dataDirectory, _ => new(PostgresTestDatabase.CreateAsync)).Value;
            options.PostgresConnectionString = database.ConnectionString;
        }

        try
        {
            configure?.Invoke(options);
            var app = await WitnessServer.BuildAsync(options);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            return new RunningServer(app, new Uri(address), dataDirectory, options, ownsData);
        }
        catch when (ownsData)
        {
            // A server that did not start is not disposed by the test: what it made for itself goes here.
            await DeleteOwnDataAsync(dataDirectory);
            throw;
        }
    }

    /// <summary>
    /// The command-line options that point a <c>witness</c> command at this server's store and key:
    /// its data folder, and its database when it runs on PostgreSQL.
    /// </summary>
    public string[] StoreArgs() =>
        Options.PostgresConnectionString is { } postgres ? ["--data", DataDirectory, "--postgres", postgres] : ["--data", DataDirectory];

    /// <summary>Creates an API key directly in the store. <paramref name="tenant"/> null makes a global key.</summary>
    public async Task<string> CreateKeyAsync(string? tenant, params string[] scopes)
    {
        var (key, record) = ApiKeys.Create(tenant, scopes.Length == 0 ? Scopes.All : scopes, "test", DateTimeOffset.UtcNow);
        await Store.CreateApiKeyAsync(record, CancellationToken.None);
        return key;
    }

    /// <summary>An HTTP client for this server, sending <paramref name="key"/> as a bearer token when given.</summary>
    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>A client with a fresh key bound to <paramref name="tenant"/> and every scope.</summary>
    public async Task<HttpClient> ClientForAsync(string tenant, params string[] scopes) => Client(await CreateKeyAsync(tenant, scopes));

    /// <summary>Stops the server and keeps its data folder, for a test that starts another server on it.</summary>
    public async Task StopKeepingDataAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsData)
        {
            await DeleteOwnDataAsync(DataDirectory);
        }
    }

    private static async Task DeleteOwnDataAsync(string dataDirectory)
    {
        if (Databases.TryRemove(dataDirectory, out var database))
        {
            await (await database.Value).DisposeAsync();
        }

        TempFolder.Delete(dataDirectory);
    }
}
