using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Witness.Access;
using Witness.Integrity;
using Witness.Server.Tests.Support;
using Witness.Storage;
using Witness.Storage.Postgres;
using Witness.Verification;

namespace Witness.Server.Tests.Postgres;

/// <summary>Several <c>witness serve --postgres</c> processes on one database, ingesting into one tenant.</summary>
public sealed class MultiInstanceTests : IAsyncLifetime
{
    private SharedPostgresInstances _instances = null!;

    public async Task InitializeAsync() => _instances = await SharedPostgresInstances.CreateAsync("witness-multi");

    public async Task DisposeAsync() => await _instances.DisposeAsync();

    private Task<WitnessProcess> ServeAsync(string name) => _instances.ServeAsync(name);

    private async Task<string> CreateKeyAsync(string tenant)
    {
        await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = _instances.ConnectionString });
        await store.InitializeAsync(CancellationToken.None);
        var (key, record) = ApiKeys.Create(tenant, Scopes.All, "test", DateTimeOffset.UtcNow);
        await store.CreateApiKeyAsync(record, CancellationToken.None);
        return key;
    }

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task Two_instances_ingesting_one_tenant_at_once_keep_seq_gap_free_and_the_log_verifies()
    {
        // Both start on an empty database at once, so they also race through the migrations.
        var started = await Task.WhenAll(ServeAsync("a"), ServeAsync("b"));
        using var a = started[0];
        using var b = started[1];
        var tenant = Some.Tenant();
        var key = await CreateKeyAsync(tenant);
        using var health = await new HttpClient { BaseAddress = a.Address }.GetAsync("/healthz");
        Assert.Contains("\"store\":\"postgres\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var seqs = new ConcurrentBag<long>();
        var senders = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            using var client = Client(i % 2 == 0 ? a.Address : b.Address, key);
            for (var batch = 0; batch < 5; batch++)
            {
                var response = await client.PostAsync(Some.Batch(Enumerable.Range(0, 100).Select(_ => Some.Event(tenant))));
                Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
                foreach (var ack in (await response.JsonAsync()).GetProperty("events").EnumerateArray())
                {
                    seqs.Add(ack.GetProperty("seq").GetInt64());
                }
            }
        }));
        await Task.WhenAll(senders);

        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (long)i), seqs.Order());
        using var reader = Client(b.Address, key);
        var verify = await (await reader.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.Equal(3000, verify.GetProperty("events").GetInt64());

        var (exitCode, output, error) = await WitnessProcess.RunAsync(
            "verify", "--postgres", _instances.ConnectionString, "--signing-key", _instances.KeyFile, "--tenant", tenant, "--data", Path.Combine(_instances.Folder, "a"));
        Assert.True(exitCode == 0, output + error);
        Assert.Contains($"OK: tenant '{tenant}': 3000 events verified", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_one_instance_mid_ingest_loses_no_acknowledged_event()
    {
        var started = await Task.WhenAll(ServeAsync("a"), ServeAsync("b"));
        using var victim = started[0];
        using var survivor = started[1];
        var tenant = Some.Tenant();
        var key = await CreateKeyAsync(tenant);

        var acknowledged = new ConcurrentBag<string>();
        var victimBatches = 0;
        using var stop = new CancellationTokenSource();
        async Task SendAsync(Uri address, int sender, bool countForVictim)
        {
            using var client = Client(address, key);
            for (var batch = 0; !stop.IsCancellationRequested; batch++)
            {
                var ids = Enumerable.Range(0, 50).Select(i => $"s{sender}-b{batch}-e{i}").ToList();
                HttpResponseMessage response;
                try
                {
                    response = await client.PostAsync(Some.Batch(ids.Select(id => Some.Event(tenant, change: e => e["id"] = id))));
                }
                catch (HttpRequestException)
                {
                    return; // the instance is gone: nothing of this batch was acknowledged
                }

                if (response.StatusCode != HttpStatusCode.Created)
                {
                    return;
                }

                foreach (var id in ids)
                {
                    acknowledged.Add(id);
                }

                if (countForVictim)
                {
                    Interlocked.Increment(ref victimBatches);
                }
            }
        }

        var senders = new List<Task>();
        for (var i = 0; i < 6; i++)
        {
            var toVictim = i % 2 == 0;
            senders.Add(SendAsync(toVictim ? victim.Address : survivor.Address, i, toVictim));
        }

        while (Volatile.Read(ref victimBatches) < 20)
        {
            await Task.Delay(20);
        }

        await victim.KillAsync();
        var acknowledgedAtKill = acknowledged.Count;
        while (acknowledged.Count < acknowledgedAtKill + 1500)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Task.WhenAll(senders);

        await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = _instances.ConnectionString });
        await store.InitializeAsync(CancellationToken.None);
        var stored = new HashSet<string>();
        var seqs = new List<long>();
        await foreach (var row in store.ReadLogAsync(tenant, 1, CancellationToken.None))
        {
            stored.Add(row.Id);
            seqs.Add(row.Seq);
        }

        var lost = acknowledged.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged events are missing, e.g. {string.Join(", ", lost.Take(5))}");
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        using var signingKey = SigningKey.FromPem(await File.ReadAllTextAsync(_instances.KeyFile), "witness");
        var verified = await new ChainVerifier(store, signingKey.Key, signingKey.KeyName).VerifyAsync(tenant, CancellationToken.None);
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(seqs.Count, verified.Events);
    }
}
