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

    private static IHost Host(WitnessServer witness, string spool)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddWitnessClient(
            o =>
            {
                o.Endpoint = witness.Address;
                o.ApiKey = witness.ApiKey;
                o.Mode = DeliveryMode.MustDeliver;
                o.SpoolDirectory = spool;
                o.BatchSize = 50;
                o.RetryDelay = TimeSpan.FromMilliseconds(100);
                o.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
                o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            },
            r =>
            {
                r.Retry.MaxRetryAttempts = 1;
                r.Retry.Delay = TimeSpan.FromMilliseconds(50);
            });
        return builder.Build();
    }
}
