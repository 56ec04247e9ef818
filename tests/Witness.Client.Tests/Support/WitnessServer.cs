using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Witness.Client;

namespace Witness.Client.Tests.Support;

/// <summary>
/// A real Witness (<c>witness serve</c>, SQLite in a temp folder, the live-agent-console catalog preset) and an API key
/// of its own tenant, which can be killed and started again on the same port and data.
/// </summary>
public sealed class WitnessServer : IAsyncDisposable
{
    private ChildProcess? _process;

    private WitnessServer(string data, int port, string tenant, string apiKey)
    {
        Data = data;
        Port = port;
        Tenant = tenant;
        ApiKey = apiKey;
    }

    public string Data { get; }

    public int Port { get; }

    public string Tenant { get; }

    public string ApiKey { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public static async Task<WitnessServer> CreateAsync(bool start = true)
    {
        var data = Path.Combine(Path.GetTempPath(), $"witness-client-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        WitnessServer? server = null;
        try
        {
            var tenant = "t" + Guid.NewGuid().ToString("N")[..8];
            var (exit, output, error) = await ChildProcess.RunAsync("witness.dll", "keys", "create", "--tenant", tenant, "--scopes", "events:write,events:read", "--data", data);
            Assert.True(exit == 0, output + error);
            server = new WitnessServer(data, ChildProcess.FreePort(), tenant, output.Trim().Split('\n')[^1].Trim());
            if (start)
            {
                await server.StartAsync();
            }

            return server;
        }
        catch
        {
            // A server that never started is not disposed by the test: its folder goes here.
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            else
            {
                TempDirectory.Delete(data);
            }

            throw;
        }
    }

    public async Task StartAsync() =>
        _process = await ChildProcess.StartAsync("witness.dll", Port, "/healthz", ["serve", "--data", Data, "--preset", "live-agent-console"]);

    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>A <see cref="WitnessClient"/> of this server's tenant, built the way applications get it (DI, the resilience handler).</summary>
    public ServiceProvider ClientServices(Action<WitnessClientOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWitnessClient(o =>
        {
            o.Endpoint = Address;
            o.ApiKey = ApiKey;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    /// <summary>Every event of the tenant, straight from the API, by a plain HttpClient.</summary>
    public async Task<List<AuditEvent>> AllEventsAsync()
    {
        using var services = ClientServices();
        var client = services.GetRequiredService<WitnessClient>();
        var events = new List<AuditEvent>();
        await foreach (var e in client.SearchAsync(new EventQuery { PageSize = 1000 }))
        {
            events.Add(e);
        }

        // Reading is itself recorded (audit_log.view), and so is the key's creation (api_key.create); tests look at what applications sent.
        return [.. events.Where(e => !e.Action.StartsWith("audit_log.", StringComparison.Ordinal) && !e.Action.StartsWith("api_key.", StringComparison.Ordinal)).OrderBy(e => e.Seq)];
    }

    public async Task<List<AuditEvent>> WaitForEventsAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var events = await AllEventsAsync();
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(200);
        }
    }

    public HttpClient Http()
    {
        var http = new HttpClient { BaseAddress = Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        TempDirectory.Delete(Data);
    }
}
