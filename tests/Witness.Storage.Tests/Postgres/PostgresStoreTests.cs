using System.Security.Cryptography;
using Npgsql;
using Witness.Checkpoints;
using Witness.Ingest;
using Witness.Integrity;
using Witness.Storage.Postgres;
using Witness.Storage.Tests.Conformance;
using Witness.Verification;
using Microsoft.Extensions.Time.Testing;

namespace Witness.Storage.Tests.Postgres;

/// <summary>What only the PostgreSQL store promises: safe concurrent starts, durability, least privilege, partitions, several writers.</summary>
public sealed class PostgresStoreTests
{
    private static PostgresStore Open(string connectionString, TimeProvider? clock = null) =>
        new(new PostgresStoreOptions { ConnectionString = connectionString, Clock = clock ?? TimeProvider.System });

    [Fact]
    public async Task Migrations_run_twice_concurrently_without_harm()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => Open(database.ConnectionString)).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => s.InitializeAsync(CancellationToken.None)));
            await Task.WhenAll(stores.Take(2).Select(s => s.InitializeAsync(CancellationToken.None)));

            Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM schema_migrations WHERE version = 1"));
            Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) - count(DISTINCT version) FROM schema_migrations"));
            var tenant = Submit.Tenant();
            await stores[0].AppendManyAsync(tenant, 3);
            await stores[3].AppendManyAsync(tenant, 2);
            Assert.Equal(5, (await stores[1].GetFrontierAsync(tenant, CancellationToken.None))!.Size);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_store_refuses_to_start_when_commits_are_not_durable()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var lax = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Options = "-c synchronous_commit=off" }.ConnectionString;
        await using var store = Open(lax);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None));

        Assert.Contains("synchronous_commit=off", refused.Message, StringComparison.Ordinal);
        Assert.Contains("will not start", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_application_role_cannot_update_or_delete_events()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        Assert.True(
            await database.ScalarAsync("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user") is true,
            "the test role must be able to create roles (scripts/test connects as the cluster's superuser)");
        await using var store = Open(database.ConnectionString);
        await store.InitializeAsync(CancellationToken.None);
        var tenant = Submit.Tenant();
        await store.AppendManyAsync(tenant, 2);
        Assert.Equal("witness_app", store.RunningAsRole);

        await using var connection = await store.OpenApplicationConnectionAsync(CancellationToken.None);
        foreach (var sql in new[]
        {
            "UPDATE events SET action = 'user.delete'",
            "DELETE FROM events",
            "DELETE FROM event_ids",
            "UPDATE event_targets SET target_id = 'x'",
            "DELETE FROM merkle_nodes",
            "UPDATE checkpoints SET note = ''",
            "TRUNCATE events",
            "SELECT witness_drop_event_partitions(now() + interval '10 years')",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var denied = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }

        Assert.Equal(2, (await store.FindBySeqAsync(tenant, 2, CancellationToken.None))!.Seq);
        Assert.Equal(2L, await database.ScalarAsync("SELECT count(*) FROM events"));
    }

    [Fact]
    public async Task Month_partitions_are_made_ahead_and_for_any_month_an_append_needs_and_retention_drops_whole_months()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 11, 20, 0, 0, 0, TimeSpan.Zero));
        await using var store = Open(database.ConnectionString, clock);
        await store.InitializeAsync(CancellationToken.None);
        foreach (var name in new[] { "events_2030_11", "events_2030_12", "events_2031_01", "event_targets_2031_01" })
        {
            Assert.Equal(name, await database.ScalarAsync($"SELECT to_regclass('{name}')::text"));
        }

        var tenant = Submit.Tenant();
        await store.AppendAsync([Submit.Request(Submit.Event(tenant))], new DateTimeOffset(2029, 3, 5, 0, 0, 0, TimeSpan.Zero), CancellationToken.None);
        await store.AppendAsync([Submit.Request(Submit.Event(tenant))], new DateTimeOffset(2030, 11, 21, 0, 0, 0, TimeSpan.Zero), CancellationToken.None);
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM events_2029_03"));
        // Both events occurred on 2025-06-01, a closed day whose top-list counts a count fills.
        var june = Witness.Search.EventFilterBinder.FromParameters(_ => null, TimeZoneInfo.Utc) with
        {
            From = new DateTimeOffset(2025, 5, 31, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2025, 6, 3, 0, 0, 0, TimeSpan.Zero),
        };
        Assert.Equal(2, (await store.CountAsync(tenant, june, 3600, 10, CancellationToken.None)).Actors.Sum(a => a.Events));
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM key_count_days"));

        await database.ScalarAsync("SET ROLE witness_retention; SELECT witness_drop_event_partitions('2029-04-01T00:00:00Z')");

        Assert.Null(await database.ScalarAsync("SELECT to_regclass('events_2029_03')::text"));
        Assert.Null(await database.ScalarAsync("SELECT to_regclass('event_targets_2029_03')::text"));
        Assert.Null(await store.FindBySeqAsync(tenant, 1, CancellationToken.None));
        Assert.NotNull(await store.FindBySeqAsync(tenant, 2, CancellationToken.None));
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM event_ids"));
        // The dropped month's event left the pre-aggregated counts too; a row that reached zero is gone.
        Assert.Equal(1L, await database.ScalarAsync("SELECT sum(events)::bigint FROM event_counts"));
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM event_counts WHERE events <= 0"));
        // And its day's top-list counts are forgotten, to be filled again from the event that is left.
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM key_count_days"));
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM actor_day_counts"));
        var counts = await store.CountAsync(tenant, june, 3600, 10, CancellationToken.None);
        Assert.Equal(1, counts.Actors.Sum(a => a.Events));
        Assert.Equal(1, counts.TopListDays);
    }

    [Fact]
    public async Task Dropping_a_month_waits_for_a_day_count_fill_under_way_and_forgets_what_it_wrote()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 11, 20, 0, 0, 0, TimeSpan.Zero));
        await using var store = Open(database.ConnectionString, clock);
        await store.InitializeAsync(CancellationToken.None);
        var tenant = Submit.Tenant();
        // Received in March 2029 (the month dropped below), occurred on 2025-06-01 (day 20240), a closed day.
        await store.AppendAsync([Submit.Request(Submit.Event(tenant))], new DateTimeOffset(2029, 3, 5, 0, 0, 0, TimeSpan.Zero), CancellationToken.None);
        var tenantId = (long)(await database.ScalarAsync($"SELECT id FROM tenants WHERE name = '{tenant}'"))!;

        // A fill under way: it holds its tenant's day-count lock shared and has written the day's counts, not yet committed.
        await using var fill = new NpgsqlConnection(database.ConnectionString);
        await fill.OpenAsync();
        await using var tx = await fill.BeginTransactionAsync();
        foreach (var sql in new[]
        {
            "SELECT pg_advisory_xact_lock_shared(23024, $1::integer)", "INSERT INTO key_count_days (tenant_id, day, events) VALUES ($1, 20240, 1)",
            "INSERT INTO ip_slot_counts (tenant_id, day, bits, ip, slot, type, events, failures) VALUES ($1, 20240, 128, '\\x00000000000000000000ffffcb007107', 1943040, 'activity', 1, 0)",
            "INSERT INTO ip_action_counts (tenant_id, day, bits, ip, type, action, events, failures) VALUES ($1, 20240, 128, '\\x00000000000000000000ffffcb007107', 'activity', 'inbox.update', 1, 0)",
        })
        {
            await using var command = new NpgsqlCommand(sql, fill, tx);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await command.ExecuteNonQueryAsync();
        }

        var drop = database.ScalarAsync("SET ROLE witness_retention; SELECT witness_drop_event_partitions('2029-04-01T00:00:00Z')");
        // The drop waits on the advisory lock for as long as the fill runs.
        var waited = false;
        for (var i = 0; i < 600 && !waited && !drop.IsCompleted; i++)
        {
            waited = (long)(await database.ScalarAsync(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 23024 AND objid = " + tenantId))! > 0;
            if (!waited)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(waited, "the drop did not wait for the fill's tenant lock");
        Assert.False(drop.IsCompleted);
        await tx.CommitAsync();

        Assert.Equal(1, (int)(await drop)!);
        Assert.Null(await database.ScalarAsync("SELECT to_regclass('events_2029_03')::text"));
        // The fill's counts for the dropped month's day are gone with it, so the day is filled again from what is left.
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM key_count_days"));
        Assert.Equal(0L, await database.ScalarAsync("SELECT (SELECT count(*) FROM ip_slot_counts) + (SELECT count(*) FROM ip_action_counts)"));
    }

    [Fact]
    public async Task Two_stores_appending_to_one_tenant_at_once_keep_seq_gap_free_and_the_log_verifiable()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var first = Open(database.ConnectionString);
        await using var second = Open(database.ConnectionString);
        await Task.WhenAll(first.InitializeAsync(CancellationToken.None), second.InitializeAsync(CancellationToken.None));
        var tenant = Submit.Tenant();
        var other = Submit.Tenant();

        // Groups that name both tenants in opposite orders, from both stores, all at once.
        var writers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? first : second;
            for (var round = 0; round < 10; round++)
            {
                var (a, b) = i % 4 < 2 ? (tenant, other) : (other, tenant);
                var results = await store.AppendAsync(
                    [Submit.Request([.. Enumerable.Range(0, 20).Select(_ => Submit.Event(a))]), Submit.Request(Submit.Event(b))],
                    Submit.Now,
                    CancellationToken.None);
                Assert.All(results, r => Assert.Null(r.Conflict));
            }
        }));
        await Task.WhenAll(writers);

        var seqs = new List<long>();
        await foreach (var row in first.ReadLogAsync(tenant, 1, CancellationToken.None))
        {
            seqs.Add(row.Seq);
        }

        var expected = (4 * 10 * 20) + (4 * 10);
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), seqs);
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await new CheckpointIssuer(second, key, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
        var verified = await new ChainVerifier(first, key.Key, key.KeyName).VerifyAsync(tenant, CancellationToken.None);
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(expected, verified.Events);
        Assert.True((await new ChainVerifier(second, key.Key, key.KeyName).VerifyAsync(other, CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task A_client_id_sent_to_two_stores_at_once_is_stored_once_and_another_body_under_it_conflicts()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var first = Open(database.ConnectionString);
        await using var second = Open(database.ConnectionString);
        await Task.WhenAll(first.InitializeAsync(CancellationToken.None), second.InitializeAsync(CancellationToken.None));
        var tenant = Submit.Tenant();
        await first.AppendManyAsync(tenant, 10);

        // Neither store looks the ids up at first: the one that commits second meets event_ids' key, runs
        // its group again with lookups under the tenant's head, and must then find what the other appended.
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var round = 0; round < 8; round++)
            {
                var events = Enumerable.Range(0, 20).Select(i => Submit.Event(tenant, change: e => e["id"] = $"w{w}-r{round}-e{i}")).ToArray();
                var twice = await Task.WhenAll(
                    first.AppendAsync([Submit.Request(events)], Submit.Now, CancellationToken.None),
                    second.AppendAsync([Submit.Request(events)], Submit.Now, CancellationToken.None));
                var (a, b) = (twice[0][0], twice[1][0]);
                Assert.Null(a.Conflict);
                Assert.Null(b.Conflict);
                Assert.Equal(a.Events.Select(e => e.Seq), b.Events.Select(e => e.Seq));
                Assert.All(a.Events.Zip(b.Events), pair => Assert.NotEqual(pair.First.Replayed, pair.Second.Replayed));

                var id = $"w{w}-r{round}-other";
                var bodies = await Task.WhenAll(
                    first.AppendAsync([Submit.Request(Submit.Event(tenant, change: e => e["id"] = id))], Submit.Now, CancellationToken.None),
                    second.AppendAsync([Submit.Request(Submit.Event(tenant, change: e => e["id"] = id))], Submit.Now, CancellationToken.None));
                Assert.Single(bodies, r => r[0].Conflict is null);
                var stored = await first.FindAsync(tenant, id, CancellationToken.None);
                Assert.Equal(bodies.Single(r => r[0].Conflict is null)[0].Events[0].Seq, stored!.Seq);
            }
        }));
        await Task.WhenAll(writers);

        var expected = 10 + (4 * 8 * 21);
        Assert.Equal((long)expected, await database.ScalarAsync("SELECT count(*) FROM event_ids"));
        var seqs = new List<long>();
        await foreach (var row in second.ReadLogAsync(tenant, 1, CancellationToken.None))
        {
            seqs.Add(row.Seq);
        }

        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task Requests_that_arrive_while_another_writer_holds_the_head_join_the_waiting_group_stamped_after_the_wait()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var store = Open(database.ConnectionString);
        await store.InitializeAsync(CancellationToken.None);
        var tenant = Submit.Tenant();
        var other = Submit.Tenant();
        await store.AppendManyAsync(tenant, 1);
        await store.AppendManyAsync(other, 1);
        var beforeRelease = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var afterRelease = beforeRelease.AddMinutes(5);
        var clock = new FakeTimeProvider(beforeRelease);
        await using var ingestor = new EventIngestor(store, clock);

        // Another writer (as another instance would) holds the tenant's head while requests arrive.
        await using var holder = new NpgsqlConnection(database.ConnectionString);
        await holder.OpenAsync();
        await using var held = await holder.BeginTransactionAsync();
        await using (var lockHead = new NpgsqlCommand("SELECT id FROM tenants WHERE name = $1 FOR UPDATE", holder, held))
        {
            lockHead.Parameters.Add(new NpgsqlParameter { Value = tenant });
            await lockHead.ExecuteScalarAsync();
        }

        var first = ingestor.AppendAsync(Submit.Request(Submit.Event(tenant)));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await database.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'") is 0L)
        {
            Assert.True(DateTime.UtcNow < deadline, "the group never waited for the held head");
            await Task.Delay(20);
        }

        var pair = ingestor.AppendAsync(Submit.Request(Submit.Event(tenant), Submit.Event(tenant)));
        var otherTenant = ingestor.AppendAsync(Submit.Request(Submit.Event(other)));
        var last = ingestor.AppendAsync(Submit.Request(Submit.Event(tenant)));
        clock.SetUtcNow(afterRelease);
        await held.CommitAsync();
        await Task.WhenAll(first, pair, otherTenant, last);

        // The waiting group took the requests for the tenant it held, in order, and stamped them all once
        // it held the head; the request for a tenant it did not hold went to the next group.
        Assert.Equal([2L], (await first).Events.Select(e => e.Seq));
        Assert.Equal([3L, 4L], (await pair).Events.Select(e => e.Seq));
        Assert.Equal([5L], (await last).Events.Select(e => e.Seq));
        Assert.Equal([2L], (await otherTenant).Events.Select(e => e.Seq));
        foreach (var seq in new[] { 2L, 3L, 4L, 5L })
        {
            Assert.Equal(afterRelease, (await store.FindBySeqAsync(tenant, seq, CancellationToken.None))!.Event.ReceivedAt);
        }

        var groups = await database.ScalarAsync("SELECT count(DISTINCT xmin::text) FROM events WHERE seq > 1 AND tenant_id = (SELECT id FROM tenants WHERE name = '" + tenant + "')");
        Assert.Equal(1L, groups);
        var otherGroup = await database.ScalarAsync(
            "SELECT count(*) FROM events o JOIN events t ON o.xmin::text = t.xmin::text WHERE o.tenant_id <> t.tenant_id AND o.seq > 1 AND t.seq > 1");
        Assert.Equal(0L, otherGroup);
    }
}
