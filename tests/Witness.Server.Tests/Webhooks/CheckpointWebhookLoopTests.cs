using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Witness.Events;
using Witness.Server.Tests.Support;
using Witness.Storage;

namespace Witness.Server.Tests.Webhooks;

public sealed class CheckpointWebhookLoopTests : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_refused_checkpoint_webhook_stays_quiet_for_three_minutes_without_other_events()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // The receiver listens on loopback, which the SSRF guard refuses when it is not an allowed host.
        await using var server = await RunningServer.StartAsync(o => o.Clock = clock);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var created = await client.PostAsync("/v1/webhooks", Some.Json(new JsonObject
        {
            ["url"] = new Uri(_receiver.Address, "/hooks/checkpoints").ToString(), ["event_types"] = new JsonArray("checkpoint"),
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var webhook = (await created.JsonAsync()).GetProperty("id").GetString()!;
        // The webhook's creation is seq 1 of the log (a configuration change is recorded), then three events.
        await Some.SendManyAsync(client, tenant, 3);

        await AdvanceAsync(clock, TimeSpan.FromMinutes(1));
        await Eventually.GetValueAsync(async () => (await FailuresAsync(server, tenant)).Count == 1 ? true : (bool?)null, "the refused delivery's failure");
        Assert.Equal([5L], await FailuresAsync(server, tenant));

        for (var i = 0; i < 18; i++)
        {
            await AdvanceAsync(clock, TimeSpan.FromSeconds(10));
        }

        Assert.Equal(5, (await server.Store.GetFrontierAsync(tenant, CancellationToken.None))!.Size);
        Assert.Equal(5, (await server.Store.LatestCheckpointAsync(tenant, CancellationToken.None))!.Size);
        Assert.Equal([4L], await DeliveredSizesAsync(server, tenant, webhook));
        Assert.Empty(_receiver.Requests);

        await Some.SendManyAsync(client, tenant, 1);
        await AdvanceAsync(clock, TimeSpan.FromMinutes(1));
        await Eventually.GetValueAsync(async () => (await FailuresAsync(server, tenant)).Count == 2 ? true : (bool?)null, "the next event's checkpoint to be offered and refused");
        Assert.Equal([5L, 7L], await FailuresAsync(server, tenant));
        Assert.Equal([6L, 4L], await DeliveredSizesAsync(server, tenant, webhook));
    }

    /// <summary>Moves the clock and gives the background services (real threads) time to act on it.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider clock, TimeSpan by)
    {
        clock.Advance(by);
        await Task.Delay(150);
    }

    /// <summary>The seqs of the tenant's webhook_failure events, read from the store (a read through the API would itself be logged).</summary>
    private static async Task<List<long>> FailuresAsync(RunningServer server, string tenant)
    {
        var seqs = new List<long>();
        await foreach (var row in server.Store.ReadLogAsync(tenant, 1, CancellationToken.None))
        {
            if (CanonicalEvent.Read(row.Body).Type == LogTypes.WebhookFailure)
            {
                seqs.Add(row.Seq);
            }
        }

        return seqs;
    }

    /// <summary>The checkpoint sizes of the webhook's deliveries, newest first.</summary>
    private static async Task<List<long>> DeliveredSizesAsync(RunningServer server, string tenant, string webhook) =>
        [.. (await server.Services.GetRequiredService<IWebhookStore>().ListDeliveriesAsync(tenant, webhook, 100, CancellationToken.None))
            .Select(d => JsonDocument.Parse(d.Payload).RootElement.GetProperty("data").GetProperty("size").GetInt64())];
}
