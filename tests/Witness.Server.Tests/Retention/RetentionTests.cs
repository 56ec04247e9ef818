using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Witness.Integrity;
using Witness.Server.Background;
using Witness.Server.Tests.Support;
using Witness.Storage.Sqlite;

namespace Witness.Server.Tests.Retention;

public sealed class RetentionTests : IAsyncLifetime
{
    private readonly ServerClock _clock = new(new DateTimeOffset(2024, 1, 10, 9, 0, 0, TimeSpan.Zero));
    private RunningServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await RunningServer.StartAsync(o =>
        {
            o.Clock = _clock;
            o.RetentionInterval = TimeSpan.FromDays(1);
        });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<long> PurgeNowAsync() => _server.Services.GetRequiredService<RetentionService>().RunOnceAsync(CancellationToken.None);

    private static Task SendAsync(HttpClient client, string tenant, int from, int count) =>
        Some.SendManyAsync(client, tenant, count, i => Some.Event(tenant, change: e => e["id"] = $"r-{from + i}"));

    [Fact]
    public async Task Purged_log_still_verifies_and_old_checkpoints_and_remaining_events_still_prove()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await SendAsync(client, tenant, 1, 300);
        var old = await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        Assert.Equal(300, old.GetProperty("size").GetInt64());
        await SendAsync(client, tenant, 301, 300);
        await client.GetAsync("/v1/checkpoints/latest");

        _clock.Advance(TimeSpan.FromDays(91));
        await SendAsync(client, tenant, 601, 5);
        Assert.Equal(512, await PurgeNowAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/events/r-512")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/events/r-513")).StatusCode);

        var purge = (await SearchAsync(client, "action:log.purge")).Single();
        var metadata = purge.GetProperty("metadata");
        Assert.Equal(512, metadata.GetProperty("events").GetInt64());
        Assert.Equal(90, metadata.GetProperty("retention_days").GetInt32());
        Assert.Equal(1, metadata.GetProperty("from_seq").GetInt64());
        Assert.Equal(512, metadata.GetProperty("to_seq").GetInt64());
        Assert.Equal("Purged 512 events older than 90 days", purge.GetProperty("description").GetString());

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.True(verify.GetProperty("events").GetInt64() > 606);
        Assert.Equal(512, verify.GetProperty("purged_events").GetInt64());
        Assert.True(verify.GetProperty("checkpoints_checked").GetInt32() >= 2);

        var proof = await (await client.GetAsync("/v1/events/r-550/proof")).JsonAsync();
        var checkpoint = proof.GetProperty("checkpoint");
        Assert.True(MerkleVerifier.VerifyInclusion(
            Convert.FromHexString(proof.GetProperty("leaf_hash").GetString()!), proof.GetProperty("leaf_index").GetInt64(), proof.GetProperty("tree_size").GetInt64(),
            [.. proof.GetProperty("proof").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!))],
            Convert.FromBase64String(checkpoint.GetProperty("root_hash").GetString()!)));

        // A tenant that kept the checkpoint from before the purge can still check that the log only grew since.
        var latest = await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        var consistency = await (await client.GetAsync($"/v1/checkpoints/consistency?from=300&to={latest.GetProperty("size").GetInt64()}")).JsonAsync();
        Assert.True(MerkleVerifier.VerifyConsistency(300, latest.GetProperty("size").GetInt64(),
            [.. consistency.GetProperty("proof").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!))],
            Convert.FromBase64String(old.GetProperty("root_hash").GetString()!), Convert.FromBase64String(latest.GetProperty("root_hash").GetString()!)));

        var unprovable = await client.GetAsync("/v1/checkpoints/consistency?from=100");
        Assert.Equal(HttpStatusCode.Gone, unprovable.StatusCode);
    }

    [Fact]
    public async Task Emails_whose_events_were_all_purged_leave_the_user_menu_and_come_back_with_a_new_event()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 600, i => Some.Event(tenant, change: e =>
        {
            e["id"] = $"m-{i}";
            e["actor"]!["email"] = i < 256 ? "gone@acme.example" : i < 512 ? "noid@acme.example" : "kept@acme.example";
            if (i is >= 256 and < 512)
            {
                e["actor"]!.AsObject().Remove("id");
            }
        }));
        _clock.Advance(TimeSpan.FromDays(91));
        await Some.SendManyAsync(client, tenant, 1);
        Assert.Equal(512, await PurgeNowAsync());

        var facets = (Witness.Storage.IFacetStore)_server.Services.GetRequiredService<Witness.Storage.IWitnessStore>();
        var emails = (await facets.ListFacetsAsync(tenant, CancellationToken.None)).ActorEmails;
        Assert.DoesNotContain("gone@acme.example", emails);
        Assert.DoesNotContain("noid@acme.example", emails);
        Assert.Contains("kept@acme.example", emails);

        await Some.SendManyAsync(client, tenant, 1, _ => Some.Event(tenant, change: e => e["actor"]!["email"] = "gone@acme.example"));
        Assert.Contains("gone@acme.example", (await facets.ListFacetsAsync(tenant, CancellationToken.None)).ActorEmails);
        var found = await (await client.GetAsync("/v1/events?actor=gone@acme.example")).JsonAsync();
        Assert.Single(found.GetProperty("events").EnumerateArray());
        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
    }

    [Fact]
    public async Task A_changed_event_after_a_purge_is_named_by_verify()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await SendAsync(client, tenant, 1, 600);
        _clock.Advance(TimeSpan.FromDays(91));
        await PurgeNowAsync();

        if (_server.Options.PostgresConnectionString is { } postgres)
        {
            // As the database's superuser, as someone with access behind Witness's back would. The event's values are in its
            // event_personal row (split rows, migration 029), where the name is changed.
            await using var connection = new NpgsqlConnection(postgres);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "UPDATE event_personal SET record = decode(replace(encode(record, 'hex'), encode('Ada Admin'::bytea, 'hex'), encode('Eve Admin'::bytea, 'hex')), 'hex') " +
                "WHERE seq = 520 AND tenant_id = (SELECT id FROM tenants WHERE name = $1)",
                connection);
            command.Parameters.AddWithValue(tenant);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }
        else
        {
            await using var connection = new SqliteConnection($"Data Source={SqliteStoreOptions.InFolder(_server.DataDirectory).DatabasePath}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // The actor's name is kept beside the row (docs/erasure.md), with its salt.
            command.CommandText = "UPDATE event_personal SET record = CAST(replace(CAST(record AS TEXT), 'Ada Admin', 'Eve Admin') AS BLOB) WHERE rid = (SELECT rid FROM events WHERE seq = 520)";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(520, verify.GetProperty("first_bad_seq").GetInt64());
    }

    [Fact]
    public async Task Legal_hold_stops_purging_and_placing_and_releasing_it_is_recorded()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await SendAsync(client, tenant, 1, 300);
        var hold = await client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["legal_hold"] = true, ["retention_days"] = 30 }));
        Assert.True((await hold.JsonAsync()).GetProperty("legal_hold").GetBoolean());

        _clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(0, await PurgeNowAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/events/r-1")).StatusCode);
        var set = (await SearchAsync(client, "action:legal_hold.set")).Single();
        Assert.Equal("Placed a legal hold: retention stops purging events", set.GetProperty("description").GetString());

        await client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["legal_hold"] = false }));
        Assert.Single(await SearchAsync(client, "action:legal_hold.release"));
        Assert.Equal(256, await PurgeNowAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/events/r-1")).StatusCode);
        Assert.True((await (await client.GetAsync("/v1/verify")).JsonAsync()).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Events_younger_than_the_retention_days_stay()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await SendAsync(client, tenant, 1, 300);
        _clock.Advance(TimeSpan.FromDays(89));
        Assert.Equal(0, await PurgeNowAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/events/r-1")).StatusCode);
        Assert.Empty(await SearchAsync(client, "action:log.purge"));
    }

    [Fact]
    public async Task Legal_hold_that_is_not_a_boolean_is_refused_naming_the_field()
    {
        using var client = await _server.ClientForAsync(Some.Tenant());
        var response = await client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["legal_hold"] = "yes" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("legal_hold", (await response.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    internal static async Task<List<JsonElement>> SearchAsync(HttpClient client, string q)
    {
        var page = await (await client.GetAsync($"/v1/events?limit=1000&q={Uri.EscapeDataString(q)}")).JsonAsync();
        return [.. page.GetProperty("events").EnumerateArray()];
    }
}
