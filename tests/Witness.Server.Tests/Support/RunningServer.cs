using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Server;
using Witness.Storage;

namespace Witness.Server.Tests.Support;

/// <summary>
/// A real Witness server (Kestrel) on a free loopback port with its own data folder, stopped and
/// deleted when disposed. Tests talk to it over HTTP like any client.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsData;

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

    /// <summary>
    /// Starts a server; <paramref name="configure"/> may change options (the clock, checkpoint timing).
    /// A <paramref name="dataDirectory"/> given by the caller is kept when the server stops (for restarts);
    /// otherwise a fresh folder is made and deleted.
    /// </summary>
    public static async Task<RunningServer> StartAsync(Action<WitnessServerOptions>? configure = null, string? dataDirectory = null)
    {
        var ownsData = dataDirectory is null;
        dataDirectory ??= TempFolder.Create("witness-server");
        var options = new WitnessServerOptions { DataDirectory = dataDirectory, Urls = "http://127.0.0.1:0" };
        configure?.Invoke(options);
        var app = await WitnessServer.BuildAsync(options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new RunningServer(app, new Uri(address), dataDirectory, options, ownsData);
    }

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
            TempFolder.Delete(DataDirectory);
        }
    }
}
