using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Client;

namespace Witness.Bench.Capture;

/// <summary>
/// Sends events to a real <c>witness serve</c> process (SQLite, rate limits off) on loopback, three ways, each round on
/// fresh tenants and in turn: pre-serialized batches of 500 from N plain <see cref="HttpClient"/>s (how
/// <c>Witness.Bench ingest</c> loads its in-process server), <see cref="WitnessClient.SendAsync(IReadOnlyList{AuditEvent}, CancellationToken)"/>
/// from N concurrent callers (serialization and the resilience handler included), and <see cref="IAuditLog.Record"/>
/// of every event followed by the host's stop, which returns once the sender has delivered them all.
/// </summary>
internal static class ThroughputBench
{
    private const int BatchSize = 500;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) =>
            args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var count = Arg("--events", 100_000);
        var clients = Arg("--clients", 8);
        var warmup = Arg("--warmup", 50_000);
        var rounds = Arg("--rounds", 2);
        var inFlight = Arg("--in-flight", 0); // the sender's MaxBatchesInFlight; 0 keeps the default

        var data = Path.Combine(Path.GetTempPath(), $"witness-bench-client-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var tenants = new List<string> { "warmup" };
        for (var r = 0; r < rounds; r++)
        {
            tenants.AddRange([$"raw{r}", $"client{r}", $"sender{r}"]);
        }

        var keys = new Dictionary<string, string>();
        foreach (var tenant in tenants)
        {
            keys[tenant] = await CreateKeyAsync(data, tenant);
        }

        var port = FreePort();
        using var server = StartServer(data, port);
        var address = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            await WaitUntilReadyAsync(server, address);
            Console.WriteLine($"witness serve (pid {server.Id}) on {address}; {count:N0} events per run, batches of {BatchSize}, {clients} concurrent senders; load average {File.ReadAllText("/proc/loadavg").Trim()}");
            await SendRawAsync(address, keys["warmup"], Bodies(Generate(warmup, "w")), clients);
            await SendWithClientAsync(address, keys["warmup"], Generate(warmup / 5, "w2"), clients);
            using (var warm = await StartSenderAsync(address, keys["warmup"], warmup / 5, inFlight))
            {
                await SendWithSenderAsync(warm, Generate(warmup / 5, "w3"));
            }

            var rows = new List<string>();
            for (var r = 0; r < rounds; r++)
            {
                var bodies = Bodies(Generate(count, $"raw{r}"));
                rows.Add(await TimeAsync(server, count, "plain HttpClient, pre-serialized batches (as Witness.Bench ingest)", () => SendRawAsync(address, keys[$"raw{r}"], bodies, clients)));
                var events = Generate(count, $"client{r}");
                rows.Add(await TimeAsync(server, count, "WitnessClient.SendAsync, batches of 500", () => SendWithClientAsync(address, keys[$"client{r}"], events, clients)));
                var recorded = Generate(count, $"sender{r}");
                using var host = await StartSenderAsync(address, keys[$"sender{r}"], count, inFlight);
                rows.Add(await TimeAsync(server, count, "IAuditLog.Record, then host stop (sender delivers all)", () => SendWithSenderAsync(host, recorded)));
            }

            Console.WriteLine();
            Console.WriteLine($"load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine("| path | events/s | bench process CPU us/event | witness serve CPU us/event |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            rows.ForEach(Console.WriteLine);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            Directory.Delete(data, recursive: true);
        }

        return 0;
    }

    private static async Task<string> TimeAsync(Process server, int count, string name, Func<Task> run)
    {
        var self = Process.GetCurrentProcess();
        var selfBefore = self.TotalProcessorTime;
        var serverBefore = ServerCpu(server);
        var clock = Stopwatch.StartNew();
        await run();
        var seconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        var selfCpu = (self.TotalProcessorTime - selfBefore).TotalMicroseconds / count;
        var serverCpu = (ServerCpu(server) - serverBefore).TotalMicroseconds / count;
        var row = string.Create(CultureInfo.InvariantCulture, $"| {name} | {count / seconds:N0} | {selfCpu:N1} | {serverCpu:N1} |");
        Console.WriteLine(row);
        return row;
    }

    // utime + stime of the server process, in clock ticks (100 per second on Linux).
    private static TimeSpan ServerCpu(Process server)
    {
        var stat = File.ReadAllText($"/proc/{server.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static Task SendRawAsync(Uri address, string key, byte[][] bodies, int clients)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = address };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Length)
            {
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("v1/events", content);
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        })));
    }

    private static async Task SendWithClientAsync(Uri address, string key, AuditEvent[] events, int clients)
    {
        await using var services = ClientServices(address, key, null);
        var client = services.GetRequiredService<WitnessClient>();
        var batches = events.Chunk(BatchSize).ToArray();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                var sent = await client.SendAsync(batches[i]);
                // "existing": a retry of a request Witness had stored but answered too late (a loaded machine); stored once all the same.
                if (sent.Count != batches[i].Length || sent.Any(s => s.Status is not ("created" or "existing")))
                {
                    throw new InvalidOperationException("Witness did not store every event of a batch.");
                }
            }
        })));
    }

    /// <summary>The application's host, built and started before the clock runs: what is timed is recording and delivery, not the host's start.</summary>
    private static async Task<IHost> StartSenderAsync(Uri address, string key, int events, int inFlight)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWitnessClient(o =>
        {
            o.Endpoint = address;
            o.ApiKey = key;
            o.QueueCapacity = Math.Max(events, 1);
            o.ShutdownTimeout = TimeSpan.FromMinutes(10);
            if (inFlight > 0)
            {
                o.MaxBatchesInFlight = inFlight;
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task SendWithSenderAsync(IHost host, AuditEvent[] events)
    {
        var log = host.Services.GetRequiredService<IAuditLog>();
        foreach (var e in events)
        {
            log.Record(e);
        }

        await host.StopAsync();
        if (log.Dropped != 0)
        {
            throw new InvalidOperationException($"The sender dropped {log.Dropped} events.");
        }
    }

    private static ServiceProvider ClientServices(Uri address, string key, Action<WitnessClientOptions>? configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWitnessClient(o =>
        {
            o.Endpoint = address;
            o.ApiKey = key;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    private static byte[][] Bodies(AuditEvent[] events) =>
        [.. events.Chunk(BatchSize).Select(chunk => JsonSerializer.SerializeToUtf8Bytes(new { events = chunk }, Json))];

    /// <summary>Events shaped as <c>Witness.Bench</c>'s: 1,000 users, 2,000 IPs, 60 inboxes, about 5% failures, changes on updates.</summary>
    private static AuditEvent[] Generate(int count, string prefix)
    {
        string[] actions = ["user.login", "user.logout", "user.login_failed", "inbox.create", "inbox.update", "inbox.delete", "team.create", "team.update", "automation_rule.update", "macro.execute", "conversation.assign", "conversation.close", "label.assign", "agent.role.change"];
        var random = new Random(7);
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var step = TimeSpan.FromDays(30).Ticks / count;
        var events = new AuditEvent[count];
        for (var i = 0; i < count; i++)
        {
            var action = actions[random.Next(actions.Length)];
            var user = random.Next(1000);
            var inbox = random.Next(60);
            var failed = action == "user.login_failed" || random.Next(100) < 2;
            events[i] = new AuditEvent
            {
                Id = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{i}_{Guid.NewGuid():N}"),
                OccurredAt = start.AddTicks(step * i),
                Type = action.StartsWith("user.", StringComparison.Ordinal) ? "access" : "activity",
                Action = action,
                Actor = new AuditActor { Type = "user", Id = $"u_{user}", Name = $"User {user}", Email = $"user{user}@acme.example", Role = user % 10 == 0 ? "Administrator" : "Agent" },
                Targets = [new AuditTarget { Type = "inbox", Id = $"{24000 + inbox}", Name = $"Inbox {inbox}", Url = $"https://app.example.com/inboxes/{24000 + inbox}" }],
                Outcome = failed ? "failure" : "success",
                Reason = failed ? "Wrong password" : null,
                Context = new AuditContext
                {
                    Ip = $"203.0.{random.Next(8)}.{random.Next(250)}",
                    UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
                    Source = "form",
                    SessionId = $"s_{random.Next(100000)}",
                },
                Changes = action.EndsWith(".update", StringComparison.Ordinal) || action == "agent.role.change"
                    ? new AuditChanges { Before = new JsonObject { ["name"] = "Support", ["role"] = "Agent" }, After = new JsonObject { ["name"] = "Help desk", ["role"] = "Supervisor" } }
                    : null,
                Description = $"{action} by User {user}",
            };
        }

        return events;
    }

    private static string WitnessDll => Path.Combine(AppContext.BaseDirectory, "witness.dll");

    private static async Task<string> CreateKeyAsync(string data, string tenant)
    {
        var info = StartInfo(["keys", "create", "--tenant", tenant, "--scopes", "events:write", "--data", data]);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"witness keys create failed: {output}{error}");
        }

        return output.Trim().Split('\n')[^1].Trim();
    }

    private static Process StartServer(string data, int port)
    {
        var process = Process.Start(StartInfo(["serve", "--data", data, "--urls", $"http://127.0.0.1:{port}", "--events-per-second", "0", "--reads-per-second", "0"]))!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("witness: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.ArgumentList.Add(WitnessDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static async Task WaitUntilReadyAsync(Process server, Uri address)
    {
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"witness serve exited with {server.ExitCode}");
            }

            try
            {
                if ((await probe.GetAsync("healthz/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("witness serve did not become ready within 120 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
