using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
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
/// Issue 19's live measure: the ingest bench (batches of 500 from several clients, durable acknowledgement) with and
/// without a syslog stream of the same tenant delivering to a real rsyslog (imtcp on loopback, writing each message to a
/// file), in alternating runs (without, with, without, with …), each on a fresh SQLite store after an untimed warmup to
/// another tenant. For each run: events/s, the process's CPU per event (clients, server and stream worker), rsyslog's
/// CPU, and with the stream its lag as <c>GET /v1/streams/{id}</c> shows it (sampled every 250 ms during the timed
/// run: the most seconds and events behind), how long it took to catch up after the last batch was acknowledged, and
/// the messages rsyslog wrote.
/// </summary>
internal static class StreamLiveBench
{
    private const int BatchSize = 500;

    private sealed record Run(bool Stream, double EventsPerSecond, double CpuMicrosPerEvent, double RsyslogCpuSeconds, double MaxLagSeconds, long MaxLagEvents,
        double MeanLagSeconds, double CatchUpSeconds, long Lines, double Load);

    public static async Task RunAsync(int count, int clients, int warmup, int rounds, string? folder, StringBuilder report)
    {
        var rsyslogd = new[] { "/usr/sbin/rsyslogd", "/sbin/rsyslogd" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("rsyslogd is not installed (apt-get install rsyslog; scripts/test installs it)");
        folder ??= Path.Combine(Path.GetTempPath(), $"bench-streams-live-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}");
        Directory.CreateDirectory(folder);
        var events = BenchEvents.Generate(count, "bench");
        var bodies = events.Chunk(BatchSize)
            .Select(chunk => Encoding.UTF8.GetBytes(new JsonObject { ["events"] = new JsonArray([.. chunk.Select(BenchEvents.ClientJson)]) }.ToJsonString()))
            .ToArray();
        var warmupBodies = BenchEvents.Generate(warmup, "warmup").Chunk(BatchSize)
            .Select(chunk => Encoding.UTF8.GetBytes(new JsonObject { ["events"] = new JsonArray([.. chunk.Select(BenchEvents.ClientJson)]) }.ToJsonString()))
            .ToArray();

        var (rsyslog, port, output) = await StartRsyslogAsync(rsyslogd, Path.Combine(folder, "rsyslog"));
        var runs = new List<Run>();
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                foreach (var stream in (bool[])[false, true])
                {
                    var run = await RunOnceAsync(Path.Combine(folder, $"run-{round}-{(stream ? "stream" : "plain")}"), bodies, warmupBodies, count, clients, stream ? port : null,
                        rsyslog, output);
                    Console.WriteLine(Describe(run));
                    runs.Add(run);
                }
            }
        }
        finally
        {
            rsyslog.Kill();
            await rsyslog.WaitForExitAsync();
        }

        report.AppendLine(CultureInfo.InvariantCulture,
            $"## Live stream lag: {count:N0} events, batches of {BatchSize}, {clients} clients, a syslog stream (format witness) to rsyslog over TCP in alternate runs (after {warmup:N0} untimed to another tenant)");
        report.AppendLine();
        report.AppendLine("| run | stream | events/s | CPU us/event (process) | rsyslog CPU s | max lag s | mean lag s | max lag events | caught up after s | rsyslog lines | load |");
        report.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {i + 1} | {(r.Stream ? "syslog" : "none")} | {r.EventsPerSecond:N0} | {r.CpuMicrosPerEvent:N1} | {r.RsyslogCpuSeconds:N1} | {(r.Stream ? r.MaxLagSeconds.ToString("N2", CultureInfo.InvariantCulture) : "")} | {(r.Stream ? r.MeanLagSeconds.ToString("N2", CultureInfo.InvariantCulture) : "")} | {(r.Stream ? r.MaxLagEvents.ToString("N0", CultureInfo.InvariantCulture) : "")} | {(r.Stream ? r.CatchUpSeconds.ToString("N2", CultureInfo.InvariantCulture) : "")} | {(r.Stream ? r.Lines.ToString("N0", CultureInfo.InvariantCulture) : "")} | {r.Load:N1} |");
        }

        var plain = runs.Where(r => !r.Stream).Select(r => r.EventsPerSecond).ToList();
        var streamed = runs.Where(r => r.Stream).Select(r => r.EventsPerSecond).ToList();
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Mean events/s without a stream {plain.Average():N0}, with {streamed.Average():N0}: ingest {(1 - (streamed.Average() / plain.Average())) * 100:N1}% lower with the stream; " +
            $"CPU {runs.Where(r => !r.Stream).Average(r => r.CpuMicrosPerEvent):N1} against {runs.Where(r => r.Stream).Average(r => r.CpuMicrosPerEvent):N1} us/event; " +
            $"most lag {runs.Where(r => r.Stream).Max(r => r.MaxLagSeconds):N2} s. Folder: {folder}");
        report.AppendLine();
    }

    private static string Describe(Run r) =>
        string.Create(CultureInfo.InvariantCulture,
            $"stream={r.Stream} events/s={r.EventsPerSecond:N0} cpu={r.CpuMicrosPerEvent:N1}us/event rsyslog-cpu={r.RsyslogCpuSeconds:N1}s max-lag={r.MaxLagSeconds:N2}s max-lag-events={r.MaxLagEvents} caught-up-after={r.CatchUpSeconds:N2}s lines={r.Lines} load={r.Load:N1}");

    private static async Task<Run> RunOnceAsync(string folder, byte[][] bodies, byte[][] warmupBodies, int count, int clients, int? rsyslogPort, Process rsyslog, string output)
    {
        var options = new WitnessServerOptions
        {
            DataDirectory = folder, Urls = "http://127.0.0.1:0",
            RateLimits = { TenantEventsPerSecond = 0, KeyEventsPerSecond = 0, TenantReadsPerSecond = 0, KeyReadsPerSecond = 0 },
        };
        options.WebhookAllowedHosts.Add("127.0.0.1");
        var app = await WitnessServer.BuildAsync(options);
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            var store = app.Services.GetRequiredService<IWitnessStore>();
            var (key, record) = ApiKeys.Create("bench", [Scopes.EventsWrite, Scopes.EventsRead, Scopes.Admin], "bench", DateTimeOffset.UtcNow);
            await store.CreateApiKeyAsync(record, CancellationToken.None);
            var (warmupKey, warmupRecord) = ApiKeys.Create("warmup", [Scopes.EventsWrite], "warmup", DateTimeOffset.UtcNow);
            await store.CreateApiKeyAsync(warmupRecord, CancellationToken.None);
            await SendAllAsync(address, warmupKey, warmupBodies, clients);
            using var admin = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

            string? id = null;
            var linesBefore = LineCount(output);
            if (rsyslogPort is { } port)
            {
                var created = await admin.PostAsync("/v1/streams", new StringContent(
                    new JsonObject { ["name"] = "bench", ["kind"] = "syslog", ["url"] = $"tcp://127.0.0.1:{port}" }.ToJsonString(), Encoding.UTF8, "application/json"));
                id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()
                    ?? throw new InvalidOperationException("no stream id");
            }

            var samples = new List<(double Seconds, long Events)>();
            using var sampling = new CancellationTokenSource();
            var sampler = id is null ? Task.CompletedTask : Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    var status = await StatusAsync(admin, id);
                    lock (samples)
                    {
                        samples.Add((status.GetProperty("lag_seconds").GetDouble(), status.GetProperty("lag_events").GetInt64()));
                    }

                    try
                    {
                        await Task.Delay(250, sampling.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });

            using var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var rsyslogBefore = CpuSeconds(rsyslog.Id);
            var clock = Stopwatch.StartNew();
            await SendAllAsync(address, key, bodies, clients);
            var seconds = clock.Elapsed.TotalSeconds;
            await sampling.CancelAsync();
            await sampler;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / count;
            var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

            double catchUp = 0;
            long lines = 0;
            if (id is not null)
            {
                var caught = Stopwatch.StartNew();
                while ((await StatusAsync(admin, id)).GetProperty("lag_events").GetInt64() > 0)
                {
                    if (caught.Elapsed > TimeSpan.FromMinutes(2))
                    {
                        throw new TimeoutException("the stream did not catch up within 2 minutes");
                    }

                    await Task.Delay(50);
                }

                catchUp = caught.Elapsed.TotalSeconds;
                // The events and the stream's own stream.create, once rsyslog has written them.
                var deadline = Stopwatch.StartNew();
                while ((lines = LineCount(output) - linesBefore) < count + 1 && deadline.Elapsed < TimeSpan.FromSeconds(20))
                {
                    await Task.Delay(100);
                }
            }

            var rsyslogCpu = CpuSeconds(rsyslog.Id) - rsyslogBefore;
            return new Run(id is not null, count / seconds, cpu, rsyslogCpu, samples.Count == 0 ? 0 : samples.Max(s => s.Seconds), samples.Count == 0 ? 0 : samples.Max(s => s.Events),
                samples.Count == 0 ? 0 : samples.Average(s => s.Seconds), catchUp, lines, load);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(folder, true);
        }
    }

    private static async Task<JsonElement> StatusAsync(HttpClient admin, string id) =>
        JsonDocument.Parse(await admin.GetStringAsync($"/v1/streams/{id}")).RootElement.GetProperty("status").Clone();

    private static async Task SendAllAsync(Uri address, string key, byte[][] bodies, int clients)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Length)
            {
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await client.PostAsync("/v1/events", content);
                if ((int)response.StatusCode != 201)
                {
                    throw new InvalidOperationException($"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        })));
    }

    /// <summary>rsyslog in the foreground with imtcp on a free loopback port, each message's structured data a line of <c>out.log</c>.</summary>
    private static async Task<(Process Process, int Port, string Output)> StartRsyslogAsync(string rsyslogd, string folder)
    {
        Directory.CreateDirectory(folder);
        var output = Path.Combine(folder, "out.log");
        File.Delete(output);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = Path.Combine(folder, "rsyslog.conf");
        await File.WriteAllTextAsync(config, $$"""
            global(workDirectory="{{folder}}" maxMessageSize="64k")
            module(load="imtcp")
            template(name="raw" type="string" string="%structured-data%\n")
            input(type="imtcp" port="{{port}}" address="127.0.0.1" ruleset="out")
            ruleset(name="out") { action(type="omfile" file="{{output}}" template="raw" asyncWriting="on" ioBufferSize="256k" flushInterval="1") }
            """);
        var process = Process.Start(new ProcessStartInfo(rsyslogd, ["-n", "-f", config, "-i", Path.Combine(folder, "pid")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("rsyslogd did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var ready = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
                break;
            }
            catch (System.Net.Sockets.SocketException) when (ready.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }

        return (process, port, output);
    }

    private static long LineCount(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        long lines = 0;
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return lines;
    }

    /// <summary>User + system CPU seconds of a process (Linux <c>/proc/PID/stat</c>).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
