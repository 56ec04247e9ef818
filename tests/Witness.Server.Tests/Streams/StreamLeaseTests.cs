using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Access;
using Witness.Server.Tests.Support;
using Witness.Storage.Postgres;

namespace Witness.Server.Tests.Streams;

/// <summary>Two <c>witness serve --postgres</c> processes on one database: exactly one delivers a stream, and the other takes it over when that one dies.</summary>
public sealed class StreamLeaseTests : IAsyncLifetime
{
    private SharedPostgresInstances _instances = null!;

    public async Task InitializeAsync() => _instances = await SharedPostgresInstances.CreateAsync("witness-stream-lease");

    public async Task DisposeAsync() => await _instances.DisposeAsync();

    private Task<WitnessProcess> ServeAsync(string name) =>
        _instances.ServeAsync(name, "--key-ring", Path.Combine(_instances.Folder, "keys"), "--webhook-allow-host", "127.0.0.1");

    [Fact]
    public async Task One_instance_delivers_a_stream_and_another_takes_it_over_within_30_seconds_when_it_dies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var started = await Task.WhenAll(ServeAsync("a"), ServeAsync("b"));
        using var a = started[0];
        using var b = started[1];
        var tenant = Some.Tenant();
        string key;
        await using (var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = _instances.ConnectionString }))
        {
            await store.InitializeAsync(CancellationToken.None);
            (key, var record) = ApiKeys.Create(tenant, Scopes.All, "test", DateTimeOffset.UtcNow);
            await store.CreateApiKeyAsync(record, CancellationToken.None);
        }

        using var clientA = Client(a.Address, key);
        using var clientB = Client(b.Address, key);
        await Some.SendManyAsync(clientA, tenant, 300);
        var id = (await (await clientA.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "siem", ["kind"] = "http", ["url"] = new Uri(receiver.Address, "/in").ToString(), ["start_seq"] = 1,
        }))).JsonAsync()).GetProperty("id").GetString()!;
        var first = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var status = (await (await clientB.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status");
            return status.GetProperty("delivered_seq").GetInt64() == 301 && status.TryGetProperty("instance", out _) ? status : null;
        }, "the first 300 and the stream's own stream.create delivered");
        var holder = first.GetProperty("instance").GetString()!;

        // While both run, one delivers: every event arrived exactly once.
        Assert.Equal(Enumerable.Range(1, 301).Select(i => (long)i), Seqs(receiver));

        // The holder dies without a word; events keep arriving through the other instance.
        var pid = int.Parse(holder.Split(':')[1], CultureInfo.InvariantCulture);
        var survivor = pid == ProcessOf(a) ? clientB : clientA;
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var killed = Stopwatch.StartNew();
        await Some.SendManyAsync(survivor, tenant, 200);
        var taken = await Eventually.GetValueAsync<JsonElement>(async () =>
        {
            var status = (await (await survivor.GetAsync($"/v1/streams/{id}")).JsonAsync()).GetProperty("status");
            return status.GetProperty("delivered_seq").GetInt64() == 501 ? status : null;
        }, "the other instance to deliver");
        var took = killed.Elapsed;

        Assert.NotEqual(holder, taken.GetProperty("instance").GetString());
        Assert.True(took < TimeSpan.FromSeconds(30), $"taken over after {took.TotalSeconds:0.0} s");
        Assert.Equal(Enumerable.Range(1, 501).Select(i => (long)i), Seqs(receiver).Distinct());
    }

    /// <summary>The process id of a served instance: the one listening on its port.</summary>
    private static int ProcessOf(WitnessProcess process) =>
        Process.GetProcessesByName("dotnet").Concat(Process.GetProcessesByName("witness"))
            .First(p => CommandLine(p).Contains(process.Address.ToString().TrimEnd('/'), StringComparison.Ordinal)).Id;

    private static string CommandLine(Process p)
    {
        try
        {
            return File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static List<long> Seqs(WebhookReceiver receiver) =>
    [
        .. receiver.Requests.SelectMany(r => Encoding.UTF8.GetString(StreamTestSupport.Gunzip(r.Body)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()),
    ];

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
