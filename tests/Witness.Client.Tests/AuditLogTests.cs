using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Client.Tests.Support;

namespace Witness.Client.Tests;

/// <summary>The background sender: never in the caller's way, and nothing lost or doubled when Witness is down.</summary>
public sealed class AuditLogTests
{
    [Fact]
    public async Task Events_recorded_while_Witness_is_down_are_spooled_across_a_restart_and_stored_exactly_once()
    {
        await using var witness = await WitnessServer.CreateAsync(start: false);
        var spool = Path.Combine(Path.GetTempPath(), $"witness-spool-{Guid.NewGuid():N}");
        var ids = new List<string>();
        try
        {
            using (var first = Host(witness, spool))
            {
                await first.StartAsync();
                var log = first.Services.GetRequiredService<IAuditLog>();
                for (var i = 0; i < 300; i++)
                {
                    var e = new AuditEvent { Action = "report.export", Targets = [new AuditTarget { Type = "report", Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }] };
                    Assert.True(log.Record(e));
                    ids.Add(e.Id!);
                }

                Assert.False(log.Record(null!));
                await first.StopAsync();
            }

            Assert.NotEmpty(Directory.GetFiles(spool, "*.batch"));

            await witness.StartAsync();
            using (var second = Host(witness, spool))
            {
                await second.StartAsync();
                var events = await witness.WaitForEventsAsync(300);
                await Task.Delay(500);
                await second.StopAsync();
            }

            var stored = await witness.AllEventsAsync();
            Assert.Equal(300, stored.Count);
            Assert.Equal(ids.Order(), stored.Select(e => e.Id!).Order());
            Assert.Empty(Directory.GetFiles(spool, "*.batch"));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public void Best_effort_recording_drops_beyond_the_queue_capacity_instead_of_blocking()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWitnessClient(o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9");
            o.ApiKey = "wk_test";
            o.QueueCapacity = 10;
        });
        using var host = builder.Build();
        var log = host.Services.GetRequiredService<IAuditLog>();

        var accepted = Enumerable.Range(0, 25).Count(_ => log.Record(new AuditEvent { Action = "report.export" }));

        Assert.Equal(10, accepted);
        Assert.Equal(15, log.Dropped);
    }

    [Fact]
    public async Task Several_batches_are_on_their_way_at_once_up_to_the_bound_and_each_event_is_stored_once()
    {
        await using var witness = await WitnessServer.CreateAsync();
        var spool = Path.Combine(Path.GetTempPath(), $"witness-spool-{Guid.NewGuid():N}");
        // Each request is held 300 ms: the sender must start three sends without waiting for an answer, and never a fourth.
        var gate = new RequestGate();
        var ids = new List<string>();
        try
        {
            using (var host = Host(witness, spool, inFlight: 3, http => http.AddHttpMessageHandler(() => new GateHandler(gate)), shutdownTimeout: TimeSpan.FromSeconds(60)))
            {
                await host.StartAsync();
                var log = host.Services.GetRequiredService<IAuditLog>();
                for (var i = 0; i < 400; i++)
                {
                    var e = new AuditEvent { Action = "report.export" };
                    Assert.True(log.Record(e));
                    ids.Add(e.Id!);
                }

                await host.StopAsync();
            }

            var stored = await witness.AllEventsAsync();
            Assert.Equal(ids.Order(), stored.Select(e => e.Id!).Order());
            Assert.False(Directory.Exists(spool) && Directory.GetFiles(spool, "*.batch").Length > 0);
            Assert.True(gate.MostAtOnce == 3, $"{gate.MostAtOnce} at once at most, {gate.Requests} requests");
        }
        finally
        {
            if (Directory.Exists(spool))
            {
                Directory.Delete(spool, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_lone_event_is_sent_at_once_and_while_sends_are_under_way_only_full_batches_follow()
    {
        await using var witness = await WitnessServer.CreateAsync();
        var spool = Path.Combine(Path.GetTempPath(), $"witness-spool-{Guid.NewGuid():N}");
        var gate = new RequestGate();
        var ids = new List<string>();
        try
        {
            using (var host = Host(witness, spool, inFlight: 3, http => http.AddHttpMessageHandler(() => new GateHandler(gate)), shutdownTimeout: TimeSpan.FromSeconds(60)))
            {
                await host.StartAsync();
                var log = host.Services.GetRequiredService<IAuditLog>();
                var first = new AuditEvent { Action = "report.export" };
                Assert.True(log.Record(first));
                ids.Add(first.Id!);
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (gate.Requests == 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(10);
                }

                // The first send is held 300 ms: these 120 wait for it or for full batches of 50, never go as a trickle.
                for (var i = 0; i < 120; i++)
                {
                    var e = new AuditEvent { Action = "report.export" };
                    Assert.True(log.Record(e));
                    ids.Add(e.Id!);
                }

                await host.StopAsync();
            }

            var sizes = gate.BatchSizes;
            Assert.Equal(1, sizes[0]);
            Assert.All(sizes.Skip(1).SkipLast(1), size => Assert.Equal(50, size));
            Assert.Equal(121, sizes.Sum());
            var stored = await witness.AllEventsAsync();
            Assert.Equal(ids.Order(), stored.Select(e => e.Id!).Order());
        }
        finally
        {
            if (Directory.Exists(spool))
            {
                Directory.Delete(spool, recursive: true);
            }
        }
    }

    [Fact]
    public async Task The_spool_is_removed_oldest_first_and_a_batch_only_once_it_and_every_older_one_are_stored()
    {
        await using var witness = await WitnessServer.CreateAsync(start: false);
        var spool = Path.Combine(Path.GetTempPath(), $"witness-spool-{Guid.NewGuid():N}");
        var ids = new List<string>();
        try
        {
            using (var first = Host(witness, spool, inFlight: 1))
            {
                await first.StartAsync();
                var log = first.Services.GetRequiredService<IAuditLog>();
                for (var i = 0; i < 300; i++)
                {
                    var e = new AuditEvent { Action = "report.export" };
                    Assert.True(log.Record(e));
                    ids.Add(e.Id!);
                }

                await first.StopAsync();
            }

            var spooled = Directory.GetFiles(spool, "*.batch").Order(StringComparer.Ordinal).ToList();
            Assert.True(spooled.Count >= 4, $"{spooled.Count} spooled batches");
            using (var second = JsonDocument.Parse(File.ReadAllBytes(spooled[1])))
            {
                // Witness refuses the second-oldest batch (503) until told otherwise; the batches beside it get through.
                var refused = new RefusedBatch(second.RootElement.GetProperty("events")[0].GetProperty("id").GetString()!);
                await witness.StartAsync();
                using var host = Host(witness, spool, inFlight: 4, http => http.AddHttpMessageHandler(() => new RefusingHandler(refused)));
                await host.StartAsync();

                // Three refusals: the first attempt, its retry, and the next round's first attempt, which starts only
                // after the first round has removed what it may.
                await refused.WaitForRefusalsAsync(3);
                Assert.Equal(spooled.Skip(1), Directory.GetFiles(spool, "*.batch").Order(StringComparer.Ordinal));

                refused.Stop();
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (Directory.GetFiles(spool, "*.batch").Length > 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }

                await host.StopAsync();
            }

            Assert.Empty(Directory.GetFiles(spool, "*.batch"));
            var stored = await witness.AllEventsAsync();
            Assert.Equal(ids.Order(), stored.Select(e => e.Id!).Order());
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    private static IHost Host(WitnessServer witness, string spool, int inFlight = 4, Action<IHttpClientBuilder>? http = null, TimeSpan? shutdownTimeout = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var client = builder.Services.AddWitnessClient(
            o =>
            {
                o.Endpoint = witness.Address;
                o.ApiKey = witness.ApiKey;
                o.Mode = DeliveryMode.MustDeliver;
                o.SpoolDirectory = spool;
                o.BatchSize = 50;
                o.MaxBatchesInFlight = inFlight;
                o.RetryDelay = TimeSpan.FromMilliseconds(100);
                o.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
                o.ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(2);
            },
            r =>
            {
                r.Retry.MaxRetryAttempts = 1;
                r.Retry.Delay = TimeSpan.FromMilliseconds(50);
            });
        http?.Invoke(client);
        return builder.Build();
    }

    /// <summary>Holds each request 300 ms and counts the most that were under way at once.</summary>
    private sealed class RequestGate
    {
        private int _underWay;
        private int _mostAtOnce;
        private int _requests;

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        private readonly List<int> _batchSizes = [];

        public int Requests => Volatile.Read(ref _requests);

        /// <summary>Events per request, in the order the requests arrived.</summary>
        public List<int> BatchSizes
        {
            get
            {
                lock (_batchSizes)
                {
                    return [.. _batchSizes];
                }
            }
        }

        public async Task<HttpResponseMessage> PassAsync(HttpRequestMessage request, Func<Task<HttpResponseMessage>> send)
        {
            using (var body = JsonDocument.Parse(await request.Content!.ReadAsByteArrayAsync()))
            {
                lock (_batchSizes)
                {
                    _batchSizes.Add(body.RootElement.GetProperty("events").GetArrayLength());
                }
            }

            Interlocked.Increment(ref _requests);
            var now = Interlocked.Increment(ref _underWay);
            int most;
            while (now > (most = Volatile.Read(ref _mostAtOnce)) && Interlocked.CompareExchange(ref _mostAtOnce, now, most) != most)
            {
            }

            try
            {
                await Task.Delay(300);
                return await send();
            }
            finally
            {
                Interlocked.Decrement(ref _underWay);
            }
        }
    }

    private sealed class GateHandler(RequestGate gate) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            gate.PassAsync(request, () => base.SendAsync(request, cancellationToken));
    }

    /// <summary>The batch whose first event has this id, answered 503 until <see cref="Stop"/>.</summary>
    private sealed class RefusedBatch(string firstId)
    {
        private readonly object _lock = new();
        private readonly List<TaskCompletionSource> _waiters = [];
        private int _refusals;
        private bool _stopped;

        public string FirstId => firstId;

        public bool Refusing
        {
            get
            {
                lock (_lock)
                {
                    return !_stopped;
                }
            }
        }

        public void Refused()
        {
            lock (_lock)
            {
                _refusals++;
                foreach (var waiter in _waiters)
                {
                    waiter.TrySetResult();
                }

                _waiters.Clear();
            }
        }

        public async Task WaitForRefusalsAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                Task next;
                lock (_lock)
                {
                    if (_refusals >= count)
                    {
                        return;
                    }

                    var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiters.Add(waiter);
                    next = waiter.Task;
                }

                Assert.True(DateTime.UtcNow < deadline, "Witness was not asked for the refused batch again");
                await next.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        public void Stop()
        {
            lock (_lock)
            {
                _stopped = true;
            }
        }
    }

    private sealed class RefusingHandler(RefusedBatch refused) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (refused.Refusing && request.Content is { } content)
            {
                using var body = JsonDocument.Parse(await content.ReadAsByteArrayAsync(cancellationToken));
                if (body.RootElement.GetProperty("events")[0].GetProperty("id").GetString() == refused.FirstId)
                {
                    refused.Refused();
                    return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
                }
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
