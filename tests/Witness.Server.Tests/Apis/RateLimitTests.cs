using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;
using Xunit.Abstractions;

namespace Witness.Server.Tests.Apis;

/// <summary>Per-key and per-tenant limits (issue 15, item 11), on a real server over loopback.</summary>
public sealed class RateLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_tenant_over_its_events_per_second_gets_429_with_retry_after_and_nothing_stored_while_another_tenant_sends()
    {
        await using var server = await RunningServer.StartAsync(o =>
        {
            o.RateLimits.TenantEventsPerSecond = 10;
            o.RateLimits.KeyEventsPerSecond = 0; // off: the key's bucket, emptied by the same burst, would refuse first for up to 50 ms
            o.RateLimits.EventsBurst = 1000;
        });
        var busy = Some.Tenant();
        var other = Some.Tenant();
        using var busyClient = await server.ClientForAsync(busy);
        using var otherClient = await server.ClientForAsync(other);

        Assert.Equal(HttpStatusCode.Created, (await busyClient.PostAsync(Batch(busy, 1000, "first"))).StatusCode);
        var refused = await busyClient.PostAsync(Batch(busy, 50, "second"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.ToString());
        var problem = await refused.JsonAsync();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Contains(busy, problem.GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.Created, (await otherClient.PostAsync(Batch(other, 1000, "other"))).StatusCode);
        var stored = JsonNode.Parse(await busyClient.GetStringAsync("/v1/events?limit=1000&type=activity"))!;
        Assert.Equal(1000, stored["events"]!.AsArray().Count);
        Assert.Null(stored["next_cursor"]?.GetValue<string>());
    }

    [Fact]
    public async Task Reads_over_a_keys_rate_get_429_while_another_key_of_the_tenant_still_reads_until_the_tenants_rate()
    {
        await using var server = await RunningServer.StartAsync(o =>
        {
            o.RateLimits.KeyReadsPerSecond = 1;
            o.RateLimits.TenantReadsPerSecond = 1;
            o.RateLimits.ReadsBurst = 3;
        });
        var tenant = Some.Tenant();
        using var first = await server.ClientForAsync(tenant);
        using var second = await server.ClientForAsync(tenant);

        // A bucket of 3 refilled once a second: of ten quick reads, the first three pass and most of the rest are refused.
        var started = Stopwatch.StartNew();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add((await first.GetAsync("/v1/events")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(3));
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 3, 4 + (int)started.Elapsed.TotalSeconds);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));

        // The second key has reads left, but the tenant has not.
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 5 && refused is null; i++)
        {
            var response = await second.GetAsync("/v1/events");
            refused = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.NotNull(refused);
        Assert.Equal("Too many reads for this tenant", (await refused.JsonAsync()).GetProperty("title").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);

        // Another tenant is not touched by this one's reads.
        using var elsewhere = await server.ClientForAsync(Some.Tenant());
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/v1/events")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_refused_for_a_batch_is_refused_again_until_its_retry_after_has_passed_even_for_one_event()
    {
        await using var server = await RunningServer.StartAsync(o =>
        {
            o.RateLimits.TenantEventsPerSecond = 100;
            o.RateLimits.KeyEventsPerSecond = 0;
            o.RateLimits.EventsBurst = 1000;
        });
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Batch(tenant, 800, "first"))).StatusCode);

        // At most a few hundred tokens are left (100 a second): the batch of 1,000 is refused, and so is one event sent at once after it,
        // which the bucket could hold, because the client was told to wait.
        var refused = await client.PostAsync(Batch(tenant, 1000, "second"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var wait = refused.Headers.RetryAfter!.Delta!.Value;
        var again = await client.PostAsync(Batch(tenant, 1, "third"));
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        Assert.NotNull(again.Headers.RetryAfter);

        await Task.Delay(wait + TimeSpan.FromMilliseconds(500));
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Batch(tenant, 1, "fourth"))).StatusCode);
    }

    [Fact]
    public async Task Limits_out_of_range_stop_the_server_at_start_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o => o.RateLimits.EventsBurst = 10));
        Assert.Contains("EventsBurst", error.Message);
        error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o => o.RateLimits.TenantReadsPerSecond = -1));
        Assert.Contains("TenantReadsPerSecond", error.Message);
    }

    /// <summary>
    /// The noisy neighbour of issue 15: tenant A sends 1,000-event batches from four clients as fast
    /// as it is answered, while tenant B searches. A is refused with 429 and B never is. B's
    /// first-page p99 is written to the test output (the bound of 50 ms is not asserted: the machine
    /// running the suite is shared, and timing thresholds do not belong in tests; bench/ measures it).
    /// </summary>
    [Fact]
    public async Task A_flooding_tenant_gets_429s_and_a_searching_tenant_is_never_refused()
    {
        await using var server = await RunningServer.StartAsync(o =>
        {
            o.RateLimits.TenantEventsPerSecond = 500;
            o.RateLimits.EventsBurst = 1000;
        });
        var a = Some.Tenant();
        var b = Some.Tenant();
        using var bClient = await server.ClientForAsync(b);
        await Some.SendManyAsync(bClient, b, 1_000);
        var body = Some.Batch(Enumerable.Range(0, 1000).Select(_ => Some.Event(a))).ToJsonString();

        var duration = TimeSpan.FromSeconds(10);
        var stopwatch = Stopwatch.StartNew();
        var aStatuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var flood = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = await server.ClientForAsync(a);
            while (stopwatch.Elapsed < duration)
            {
                using var response = await client.PostAsync("/v1/events", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                aStatuses.Add(response.StatusCode);
            }
        })).ToList();

        var bLatencies = new List<double>();
        var bStatuses = new List<HttpStatusCode>();
        while (stopwatch.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await bClient.GetAsync("/v1/events?limit=50");
            await response.Content.ReadAsByteArrayAsync();
            bLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            bStatuses.Add(response.StatusCode);
            await Task.Delay(20);
        }

        await Task.WhenAll(flood);
        bLatencies.Sort();
        var p50 = bLatencies[bLatencies.Count / 2];
        var p99 = bLatencies[(int)Math.Ceiling(bLatencies.Count * 0.99) - 1];
        output.WriteLine($"noisy neighbour over {duration.TotalSeconds:N0} s: A {aStatuses.Count(s => s == HttpStatusCode.Created)} batches accepted, " +
            $"{aStatuses.Count(s => s == HttpStatusCode.TooManyRequests)} refused with 429; B {bLatencies.Count} searches, first page p50 {p50:N1} ms, p99 {p99:N1} ms");

        Assert.All(bStatuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Contains(HttpStatusCode.TooManyRequests, aStatuses);
        Assert.Contains(HttpStatusCode.Created, aStatuses);
        Assert.All(aStatuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.TooManyRequests, s.ToString()));
    }

    private static JsonObject Batch(string tenant, int count, string word) =>
        Some.Batch(Enumerable.Range(0, count).Select(_ => Some.Event(tenant, change: e => e["description"] = $"batch {word}")));
}
