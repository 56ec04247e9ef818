using System.Text.Json;
using HelpDesk;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Witness.Client.Tests.Support;

namespace Witness.Client.Tests;

/// <summary>The EF Core interceptor and outbox with the sample's model on a real SQLite file, delivering to a real Witness.</summary>
public sealed class EntityFrameworkCoreTests : IClassFixture<ClientTests.Server>
{
    private readonly WitnessServer _witness;

    public EntityFrameworkCoreTests(ClientTests.Server server) => _witness = server.Witness;

    [Fact]
    public async Task A_rolled_back_transaction_records_nothing_and_committed_ones_always_record()
    {
        using var host = HelpDeskHost.Build(_witness);
        var marker = Guid.NewGuid().ToString("N")[..8];
        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            await using var rolledBack = await db.Database.BeginTransactionAsync();
            db.Inboxes.Add(new Inbox { Name = $"rolled back {marker}" });
            await db.SaveChangesAsync();
            await rolledBack.RollbackAsync();
            return 0;
        });
        Assert.Empty(await HelpDeskHost.OutboxAsync(host));

        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            await using var committed = await db.Database.BeginTransactionAsync();
            db.Inboxes.Add(new Inbox { Name = $"committed {marker}" });
            await db.SaveChangesAsync();
            await committed.CommitAsync();
            db.Inboxes.Add(new Inbox { Name = $"own transaction {marker}" });
            db.SaveChanges();
            return 0;
        });
        Assert.Equal(2, (await HelpDeskHost.OutboxAsync(host)).Count);

        await host.StartAsync();
        var events = await WaitForAsync(e => TargetName(e)?.EndsWith(marker, StringComparison.Ordinal) == true, 2);
        // The deliverer deletes its rows once Witness has answered, a moment after the events show there.
        await Eventually(async () => (await HelpDeskHost.OutboxAsync(host)).Count == 0);
        await host.StopAsync();

        Assert.Equal([$"committed {marker}", $"own transaction {marker}"], events.Select(e => e.Targets![0].Name!).Order());
    }

    [Fact]
    public async Task Eight_contexts_in_parallel_making_1000_changes_each_record_exactly_8000_events()
    {
        using var host = HelpDeskHost.Build(_witness);
        var marker = Guid.NewGuid().ToString("N")[..8];

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() => HelpDeskHost.WithContextAsync(host, async db =>
        {
            for (var save = 0; save < 100; save++)
            {
                for (var i = 0; i < 10; i++)
                {
                    db.Teams.Add(new Team { Name = $"{marker} {worker}-{save}-{i}" });
                }

                await db.SaveChangesAsync();
            }

            return 0;
        }))));

        var outbox = await HelpDeskHost.OutboxAsync(host);
        Assert.Equal(8000, outbox.Count);
        // One row per SaveChanges, each with its ten events.
        Assert.Equal(800, outbox.Select(m => m.Row).Distinct().Count());
        Assert.Equal(8000, outbox.Select(m => m.EventId).Distinct().Count());
        var teamIds = outbox.Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("targets")[0].GetProperty("id").GetString()).ToHashSet();
        Assert.Equal(8000, teamIds.Count);

        await host.StartAsync();
        var events = await WaitForAsync(e => TargetName(e)?.StartsWith(marker, StringComparison.Ordinal) == true, 8000);
        await host.StopAsync();
        Assert.Equal(8000, events.Count);
        Assert.Equal(8000, events.Select(e => e.Targets![0].Id).Distinct().Count());
    }

    [Fact]
    public async Task An_event_Witness_refuses_stays_in_the_outbox_with_the_error_while_the_rest_of_its_save_arrives()
    {
        using var host = HelpDeskHost.Build(_witness);
        var marker = Guid.NewGuid().ToString("N")[..8];
        var tooLong = new string('x', 300) + marker;
        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            db.Inboxes.AddRange(new Inbox { Name = $"first {marker}" }, new Inbox { Name = tooLong }, new Inbox { Name = $"third {marker}" });
            return await db.SaveChangesAsync();
        });
        var row = Assert.Single(await HelpDeskHost.OutboxRowsAsync(host));
        Assert.Equal(3, row.EventCount);

        await host.StartAsync();
        var events = await WaitForAsync(e => TargetName(e)?.EndsWith(marker, StringComparison.Ordinal) == true, 2);
        await Eventually(async () => (await HelpDeskHost.OutboxRowsAsync(host)).SingleOrDefault()?.Error is not null);
        await host.StopAsync();

        Assert.Equal([$"first {marker}", $"third {marker}"], events.Select(e => e.Targets![0].Name!).Order());
        var kept = Assert.Single(await HelpDeskHost.OutboxRowsAsync(host));
        Assert.Equal(1, kept.EventCount);
        Assert.Contains(tooLong, kept.Payload, StringComparison.Ordinal);
        Assert.StartsWith("Witness answered 400", kept.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sensitive_properties_never_leave_the_application()
    {
        using var host = HelpDeskHost.Build(_witness);
        var secret = "whsec_" + Guid.NewGuid().ToString("N");
        var url = $"https://hooks.example.com/{Guid.NewGuid():N}";
        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            var inbox = new Inbox { Name = "hooks" };
            db.Inboxes.Add(inbox);
            await db.SaveChangesAsync();
            var webhook = new InboxWebhook { InboxId = inbox.Id, Url = url, Secret = secret };
            db.Webhooks.Add(webhook);
            await db.SaveChangesAsync();
            webhook.Secret = secret + "-rotated";
            await db.SaveChangesAsync();
            return 0;
        });

        Assert.DoesNotContain(await HelpDeskHost.OutboxAsync(host), m => m.Payload.Contains(secret, StringComparison.Ordinal));
        await host.StartAsync();
        var events = await WaitForAsync(e => TargetName(e) == url, 2);
        await host.StopAsync();

        var created = events.Single(e => e.Action == "inbox_webhook.create");
        var updated = events.Single(e => e.Action == "inbox_webhook.update");
        Assert.Equal("[redacted]", created.Changes!.After!["secret"]!.GetValue<string>());
        Assert.Equal("[redacted]", updated.Changes!.Before!["secret"]!.GetValue<string>());
        Assert.Equal("[redacted]", updated.Changes!.After!["secret"]!.GetValue<string>());
        using var http = _witness.Http();
        Assert.DoesNotContain(secret, await http.GetStringAsync("/v1/events?action=inbox_webhook.*&limit=1000"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Updates_carry_only_changed_properties_and_a_detached_update_says_its_originals_are_unknown()
    {
        using var host = HelpDeskHost.Build(_witness);
        var name = "inbox " + Guid.NewGuid().ToString("N")[..8];
        var teamName = "team " + Guid.NewGuid().ToString("N")[..8];
        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            var inbox = new Inbox { Name = name, Channel = "email", Greeting = "Hi" };
            var team = new Team { Name = teamName, Description = "first line" };
            db.AddRange(inbox, team);
            await db.SaveChangesAsync();
            inbox.Greeting = "Hello";
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
            db.Teams.Update(new Team { Id = team.Id, Name = teamName, Description = "second line" });
            await db.SaveChangesAsync();
            return 0;
        });

        await host.StartAsync();
        var events = await WaitForAsync(e => TargetName(e) == name || TargetName(e) == teamName, 4);
        await host.StopAsync();

        var inboxUpdate = events.Single(e => e.Action == "inbox.update");
        Assert.Equal(["greeting"], inboxUpdate.Changes!.Before!.Select(p => p.Key));
        Assert.Equal("Hi", inboxUpdate.Changes.Before!["greeting"]!.GetValue<string>());
        Assert.Equal("Hello", inboxUpdate.Changes.After!["greeting"]!.GetValue<string>());
        Assert.Null(inboxUpdate.Metadata);

        var teamUpdate = events.Single(e => e.Action == "team.update");
        Assert.Null(teamUpdate.Changes!.Before);
        Assert.Equal("second line", teamUpdate.Changes.After!["description"]!.GetValue<string>());
        Assert.True(teamUpdate.Metadata!["originals_unknown"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ExecuteUpdate_and_ExecuteDelete_are_each_recorded_once_with_the_affected_count()
    {
        using var host = HelpDeskHost.Build(_witness);
        var trigger = "t_" + Guid.NewGuid().ToString("N")[..8];
        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            db.AutomationRules.AddRange(Enumerable.Range(0, 5).Select(i => new AutomationRule { Name = $"rule {i}", Trigger = trigger }));
            await db.SaveChangesAsync();
            await db.AutomationRules.Where(r => r.Trigger == trigger).ExecuteUpdateAsync(s => s.SetProperty(r => r.Enabled, false));
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.AutomationRules.Where(r => r.Trigger == trigger && r.Name != "rule 0").ExecuteDelete();
            await transaction.CommitAsync();
            return 0;
        });

        var bulk = (await HelpDeskHost.OutboxAsync(host)).Select(m => JsonDocument.Parse(m.Payload).RootElement).Where(e => e.GetProperty("action").GetString()!.Contains("bulk", StringComparison.Ordinal)).ToList();
        Assert.Equal(["automation_rule.bulk_update", "automation_rule.bulk_delete"], bulk.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal([5, 4], bulk.Select(e => e.GetProperty("metadata").GetProperty("affected").GetInt32()));
        await host.StartAsync();
        await Eventually(async () => (await HelpDeskHost.OutboxAsync(host)).Count == 0);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_outbox_written_by_earlier_versions_is_delivered_after_an_upgrade()
    {
        using var host = HelpDeskHost.Build(_witness);
        var marker = Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        string Event(string name) => JsonSerializer.Serialize(new
        {
            id = WitnessClient.NewId(now),
            action = "inbox.create",
            occurred_at = now,
            targets = new[] { new { type = "inbox", id = name, name = $"{name} {marker}" } },
        });
        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            // The first outbox held one event object per row and had no event_count (0 once a migration adds the column);
            // the next held each save's events as an array with their count.
            await db.Database.ExecuteSqlAsync($"INSERT INTO witness_outbox (event_id, payload, event_count, created_at) VALUES ('a', {Event("one event a row")}, 0, {now})");
            var array = $"[{Event("first of an array")},{Event("second of an array")}]";
            return await db.Database.ExecuteSqlAsync($"INSERT INTO witness_outbox (event_id, payload, event_count, created_at) VALUES ('b', {array}, 2, {now})");
        });

        await host.StartAsync();
        var events = await WaitForAsync(e => TargetName(e)?.EndsWith(marker, StringComparison.Ordinal) == true, 3);
        await Eventually(async () => (await HelpDeskHost.OutboxRowsAsync(host)).Count == 0);
        await host.StopAsync();

        Assert.Equal([$"first of an array {marker}", $"one event a row {marker}", $"second of an array {marker}"], events.Select(e => e.Targets![0].Name!).Order());
    }

    [Fact]
    public async Task A_save_that_fails_inside_the_callers_transaction_leaves_that_transaction_usable_and_records_only_what_commits()
    {
        using var host = HelpDeskHost.Build(_witness);
        var marker = Guid.NewGuid().ToString("N")[..8];
        await HelpDeskHost.WithContextAsync(host, async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Inboxes.Add(new Inbox { Name = $"kept {marker}" });
            await db.SaveChangesAsync();
            var existing = new Inbox { Name = $"duplicate {marker}" };
            db.Inboxes.Add(existing);
            await db.SaveChangesAsync();
            db.Entry(existing).State = EntityState.Detached;
            // The same key again: the save fails and EF Core rolls back to its savepoint, not the whole transaction.
            db.Inboxes.Add(new Inbox { Id = existing.Id, Name = $"refused {marker}" });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
            await transaction.CommitAsync();
            Assert.True(db.Database.AutoSavepointsEnabled);
            return 0;
        });

        var names = (await HelpDeskHost.OutboxAsync(host)).Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("targets")[0].GetProperty("name").GetString()).ToList();
        Assert.Equal([$"kept {marker}", $"duplicate {marker}"], names);
    }

    private async Task<List<Witness.Client.AuditEvent>> WaitForAsync(Func<Witness.Client.AuditEvent, bool> match, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var events = (await _witness.AllEventsAsync()).Where(match).ToList();
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(200);
        }
    }

    // Bulk events of other tests on the shared server come back with an empty target list.
    private static string? TargetName(Witness.Client.AuditEvent e) => e.Targets is [var first, ..] ? first.Name : null;

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "gave up waiting");
            await Task.Delay(100);
        }
    }
}
