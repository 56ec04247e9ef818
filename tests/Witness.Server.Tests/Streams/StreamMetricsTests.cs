using System.Globalization;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

/// <summary>A stream's delivered events, lag and failures in the OpenTelemetry metrics, read by scraping <c>/metrics</c>.</summary>
public sealed class StreamMetricsTests
{
    /// <summary>The value of <paramref name="metric"/>'s sample for <paramref name="stream"/> in a Prometheus text scrape, or null when there is none.</summary>
    private static double? Sample(string scrape, string metric, string stream)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(metric + "{", StringComparison.Ordinal) && line.Contains($"stream=\"{stream}\"", StringComparison.Ordinal))
            {
                var value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
                return double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [Fact]
    public async Task The_metrics_show_a_streams_delivered_events_its_lag_while_the_destination_fails_its_failures_and_the_lag_gone_once_it_recovers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failing = 0;
        receiver.Respond = _ => Volatile.Read(ref failing) == 1 ? 503 : 204;
        await using var server = await RunningServer.StartAsync(o =>
        {
            o.WebhookAllowedHosts.Add("127.0.0.1");
            o.Streams.PollInterval = TimeSpan.FromMilliseconds(200);
            o.Streams.RetryDelay = TimeSpan.FromMilliseconds(100);
            o.Streams.MaxRetryDelay = TimeSpan.FromMilliseconds(300);
        });
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        using var scraper = server.Client();
        await Some.SendManyAsync(client, tenant, 20);
        var id = (await (await client.PostAsync("/v1/streams", Some.Json(new JsonObject
        {
            ["name"] = "siem", ["kind"] = "http", ["url"] = new Uri(receiver.Address, "/in").ToString(), ["start_seq"] = 1,
        }))).JsonAsync()).GetProperty("id").GetString()!;

        // The 20 events and the stream's own stream.create: delivered, nothing behind.
        await Eventually.GetAsync(async () =>
        {
            var scrape = await scraper.GetStringAsync("/metrics");
            return Sample(scrape, "witness_stream_delivered_total", id) >= 21 && Sample(scrape, "witness_stream_lag_events", id) == 0
                && Sample(scrape, "witness_stream_lag_seconds", id) == 0 ? scrape : null;
        }, "21 delivered and no lag in /metrics");

        Volatile.Write(ref failing, 1);
        await Some.SendManyAsync(client, tenant, 30);
        await Task.Delay(1100);
        var behind = await Eventually.GetAsync(async () =>
        {
            var scrape = await scraper.GetStringAsync("/metrics");
            return Sample(scrape, "witness_stream_lag_events", id) >= 30 && Sample(scrape, "witness_stream_lag_seconds", id) >= 1
                && Sample(scrape, "witness_stream_failures_total", id) >= 1 ? scrape : null;
        }, "the lag and the failures in /metrics while the receiver answers 503");
        Assert.Contains("kind=\"http\"", behind.Split('\n').First(l => l.StartsWith("witness_stream_failures_total{", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal)),
            StringComparison.Ordinal);
        Assert.Contains($"tenant=\"{tenant}\"", behind.Split('\n').First(l => l.StartsWith("witness_stream_lag_events{", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal)),
            StringComparison.Ordinal);

        Volatile.Write(ref failing, 0);
        await Eventually.GetAsync(async () =>
        {
            var scrape = await scraper.GetStringAsync("/metrics");
            return Sample(scrape, "witness_stream_delivered_total", id) >= 51 && Sample(scrape, "witness_stream_lag_events", id) == 0
                && Sample(scrape, "witness_stream_lag_seconds", id) == 0 ? scrape : null;
        }, "51 delivered and the lag gone in /metrics");
    }
}
