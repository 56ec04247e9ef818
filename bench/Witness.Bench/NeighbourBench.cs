using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Server;
using Witness.Storage;

namespace Witness.Bench;

/// <summary>
/// The noisy neighbour of issue 15: tenant A sends 1,000-event batches from several clients as fast as
/// it is answered (429s included) while tenant B reads its first page (<c>GET /v1/events?limit=50</c>)
/// every 20 ms. Reports B's latency percentiles and A's accepted and refused requests, with the
/// process's CPU time and the load average. The server runs in this process with its default limits
/// unless <c>--events-per-second N</c> sets the per-tenant (and per-key) events/s, with a burst of twice that (at least a batch).
/// </summary>
internal static class NeighbourBench
{
    public static async Task RunAsync(int seconds, int clients, int? eventsPerSecond, StringBuilder report)
    {
        var folder = Path.Combine(Path.GetTempPath(), "witness-neighbour-" + Guid.NewGuid().ToString("N"));
        var options = new WitnessServerOptions { DataDirectory = folder, Urls = "http://127.0.0.1:0" };
        if (eventsPerSecond is { } limit)
        {
            options.RateLimits.TenantEventsPerSecond = limit;
            options.RateLimits.KeyEventsPerSecond = limit;
            options.RateLimits.EventsBurst = Math.Max(1000, 2 * limit);
        }

        var app = await WitnessServer.BuildAsync(options);
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            var store = app.Services.GetRequiredService<IWitnessStore>();
            async Task<HttpClient> ClientAsync(string tenant)
            {
                var (key, record) = ApiKeys.Create(tenant, Scopes.All, "bench", DateTimeOffset.UtcNow);
                await store.CreateApiKeyAsync(record, CancellationToken.None);
                var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                return client;
            }

            static byte[] Batch(string tenant, int count, string word) => Encoding.UTF8.GetBytes(new JsonObject
            {
                ["events"] = new JsonArray([.. Enumerable.Range(0, count).Select(i => (JsonNode)new JsonObject
                {
                    ["tenant"] = tenant,
                    ["action"] = "document.update",
                    ["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 97}", ["email"] = $"user{i % 97}@{tenant}.example" },
                    ["targets"] = new JsonArray(new JsonObject { ["type"] = "document", ["id"] = $"doc-{i}", ["name"] = $"Quarterly report {word} {i}" }),
                    ["context"] = new JsonObject { ["ip"] = $"203.0.113.{i % 250}" },
                })]),
            }.ToJsonString());

            using var b = await ClientAsync("neighbour-b");
            for (var i = 0; i < 5; i++)
            {
                // B is under the same limit: its fill waits when told to.
                while (true)
                {
                    using var content = new ByteArrayContent(Batch("neighbour-b", 1000, "b"));
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var sent = await b.PostAsync("/v1/events", content);
                    if (sent.StatusCode != HttpStatusCode.TooManyRequests)
                    {
                        sent.EnsureSuccessStatusCode();
                        break;
                    }

                    await Task.Delay(sent.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                }
            }

            for (var i = 0; i < 50; i++)
            {
                (await b.GetAsync("/v1/events?limit=50")).EnsureSuccessStatusCode();
            }

            var body = Batch("neighbour-a", 1000, "a");
            var aClients = new List<HttpClient>();
            for (var i = 0; i < clients; i++)
            {
                aClients.Add(await ClientAsync("neighbour-a"));
            }

            var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var duration = TimeSpan.FromSeconds(seconds);
            long accepted = 0, refused = 0, failed = 0;
            var flood = aClients.Select(client => Task.Run(async () =>
            {
                while (clock.Elapsed < duration)
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await client.PostAsync("/v1/events", content);
                    _ = response.StatusCode switch
                    {
                        HttpStatusCode.Created => Interlocked.Increment(ref accepted),
                        HttpStatusCode.TooManyRequests => Interlocked.Increment(ref refused),
                        _ => Interlocked.Increment(ref failed),
                    };
                }
            })).ToList();

            var latencies = new List<double>();
            var bRefused = 0;
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await b.GetAsync("/v1/events?limit=50");
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                bRefused += response.StatusCode == HttpStatusCode.OK ? 0 : 1;
                await Task.Delay(20);
            }

            await Task.WhenAll(flood);
            var wall = clock.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            var loadAfter = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            foreach (var client in aClients)
            {
                client.Dispose();
            }

            var limitText = eventsPerSecond is { } l ? $"{l:N0} events/s per tenant and key, burst {options.RateLimits.EventsBurst:N0}" : $"default limits ({options.RateLimits.TenantEventsPerSecond:N0} events/s per tenant, burst {options.RateLimits.EventsBurst:N0})";
            report.AppendLine(CultureInfo.InvariantCulture, $"## Noisy neighbour: {seconds} s, tenant A {clients} clients × 1,000-event batches at full rate, {limitText}; load {load} before, {loadAfter} after");
            report.AppendLine();
            report.AppendLine("| B first page (limit=50) | reads | non-200 | p50 ms | p95 ms | p99 ms | max ms |");
            report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| during A's flood | {latencies.Count} | {bRefused} | {Stats.Percentile(latencies, 50):N1} | {Stats.Percentile(latencies, 95):N1} | {Stats.Percentile(latencies, 99):N1} | {latencies.Max():N1} |");
            report.AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture,
                $"Tenant A: {accepted:N0} batches accepted ({accepted * 1000 / wall:N0} events/s), {refused:N0} refused with 429, {failed:N0} other answers. CPU of the process (server and both tenants' clients): {cpu:N1} s user+sys in {wall:N1} s wall.");
            report.AppendLine();
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(folder, true);
        }
    }
}
