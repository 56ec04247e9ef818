using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Telemetry;

/// <summary>A real Prometheus (Debian's, installed by scripts/test) scrapes a running Witness at /metrics.</summary>
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_ingest_commit_and_rejection_metrics_from_a_running_server()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 6);
        using var stranger = server.Client("wk_nope_nothing");
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/v1/events")).StatusCode);

        var text = await server.Client().GetStringAsync("/metrics");
        Assert.Contains("witness_events_ingested_total", text);

        await using var prometheus = await Prometheus.StartAsync(server.Address);
        Assert.Equal(1, await prometheus.ValueAsync("up{job=\"witness\"}"));
        Assert.True(await prometheus.ValueAsync("sum(witness_events_ingested_total)") >= 6);
        Assert.True(await prometheus.ValueAsync("sum(witness_ingest_group_size_count)") >= 1);
        Assert.True(await prometheus.ValueAsync("sum(witness_ingest_group_duration_seconds_count)") >= 1);
        Assert.True(await prometheus.ValueAsync("sum(witness_requests_rejected_total{reason=\"unauthorized\"})") >= 1);
        // Process-wide, and other test classes ingest meanwhile: only that it is exported.
        Assert.True(await prometheus.ValueAsync("sum(witness_ingest_queue_depth)") >= 0);
    }

    /// <summary>Prometheus on a free loopback port with a temporary config and database, stopped and deleted when disposed.</summary>
    private sealed class Prometheus : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _folder;
        private readonly HttpClient _http;

        private Prometheus(Process process, string folder, Uri address)
        {
            _process = process;
            _folder = folder;
            _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        }

        public static async Task<Prometheus> StartAsync(Uri target)
        {
            var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("Prometheus is not installed: scripts/test installs the Debian package 'prometheus'");
            var folder = TempFolder.Create("witness-prometheus");
            var config = Path.Combine(folder, "prometheus.yml");
            await File.WriteAllTextAsync(config, $"""
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: witness
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['{target.Authority}']
                """);
            var port = FreePort();
            var process = Process.Start(new ProcessStartInfo(binary,
                [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}", $"--web.listen-address=127.0.0.1:{port}"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var prometheus = new Prometheus(process, folder, new Uri($"http://127.0.0.1:{port}"));
            await Eventually.GetValueAsync<bool>(async () =>
            {
                try
                {
                    return (await prometheus._http.GetAsync("/-/ready")).IsSuccessStatusCode ? true : null;
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            }, "Prometheus to be ready");
            return prometheus;
        }

        /// <summary>The value of an instant query once it has one (Prometheus scrapes every second).</summary>
        public async Task<double> ValueAsync(string query) =>
            await Eventually.GetValueAsync<double>(async () =>
            {
                var answer = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}")).RootElement;
                var result = answer.GetProperty("data").GetProperty("result");
                return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            }, $"Prometheus to answer {query}");

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            TempFolder.Delete(_folder);
        }
    }
}
