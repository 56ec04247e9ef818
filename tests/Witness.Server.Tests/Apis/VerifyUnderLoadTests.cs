using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>
/// Verification while four clients keep posting batches, on both stores: it reads one snapshot, so
/// events committed meanwhile are never taken for tampering, and a real change is still found.
/// </summary>
public sealed class VerifyUnderLoadTests
{
    private const int Writers = 4;

    /// <summary>A server on SQLite or on a fresh PostgreSQL database, and the CLI arguments that reach its store.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        public required RunningServer Server { get; init; }
        public PostgresTestDatabase? Database { get; init; }

        public static async Task<Setup> StartAsync(bool postgres)
        {
            var database = postgres ? await PostgresTestDatabase.CreateAsync() : null;
            var server = await RunningServer.StartAsync(
                o => o.PostgresConnectionString = database?.ConnectionString, sqliteOnly: !postgres);
            return new Setup { Server = server, Database = database };
        }

        public string[] StoreArgs =>
            Database is null ? ["--data", Server.DataDirectory] : ["--data", Server.DataDirectory, "--postgres", Database.ConnectionString];

        /// <summary>Changes the stored body of one event, as someone with write access to the database would.</summary>
        public async Task ChangeEventAsync(long seq)
        {
            if (Database is { } database)
            {
                // The event's values are in its event_personal row (split rows, migration 029): the name is changed there.
                await database.ScalarAsync(
                    "UPDATE event_personal SET record = decode(replace(encode(record, 'hex'), encode('Ada Admin'::bytea, 'hex'), encode('Eve Admin'::bytea, 'hex')), 'hex') " +
                    $"WHERE seq = {seq}");
                return;
            }

            await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDirectory, "witness.db")};Pooling=False;Default Timeout=30");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // The actor's name is kept beside the row (docs/erasure.md), with its salt.
            command.CommandText = $"UPDATE event_personal SET record = CAST(replace(CAST(record AS TEXT), 'Ada Admin', 'Eve Admin') AS BLOB) WHERE rid = (SELECT rid FROM events WHERE seq = {seq})";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            if (Database is not null)
            {
                await Database.DisposeAsync();
            }
        }
    }

    /// <summary>Four clients posting batches of 50 until <paramref name="stop"/> is cancelled; returns how many events they sent.</summary>
    private static async Task<int> WriteUntilAsync(HttpClient client, CancellationToken stop)
    {
        var sent = 0;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await client.PostAsync(Some.Batch(Enumerable.Range(0, 50).Select(_ => Some.Event())));
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                Interlocked.Add(ref sent, 50);
            }
        }));
        return sent;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Verification_during_ingest_never_reports_tampering(bool postgres)
    {
        await using var setup = await Setup.StartAsync(postgres);
        var tenant = Some.Tenant();
        using var client = await setup.Server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, "", 200);
        var kept = (await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync()).GetProperty("note").GetString()!;
        var keptFile = Path.Combine(setup.Server.DataDirectory, "kept-checkpoint.txt");
        await File.WriteAllTextAsync(keptFile, kept);

        using var stop = new CancellationTokenSource();
        var writing = WriteUntilAsync(client, stop.Token);
        var answers = new List<string>();
        long lastApiSize = 0;
        try
        {
            // 24 through the API (GET, and POST with the checkpoint kept before the load), 8 through the CLI, all while the writers post.
            var api = Task.Run(async () =>
            {
                for (var i = 0; i < 24; i++)
                {
                    var response = i % 3 == 2
                        ? await client.PostAsync("/v1/verify", Some.Json(new JsonObject { ["checkpoints"] = new JsonArray(kept) }))
                        : await client.GetAsync("/v1/verify");
                    var result = await response.JsonAsync();
                    lock (answers)
                    {
                        answers.Add(result.ToString());
                    }

                    Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
                    var size = result.GetProperty("size").GetInt64();
                    Assert.Equal(size, result.GetProperty("events").GetInt64());
                    Assert.True(size >= lastApiSize, $"size {size} after {lastApiSize}");
                    lastApiSize = size;
                }
            });
            var cli = Task.Run(async () =>
            {
                for (var i = 0; i < 8; i++)
                {
                    var run = await WitnessProcess.RunAsync(["verify", "--tenant", tenant, .. setup.StoreArgs, .. (i % 2 == 0 ? new[] { "--checkpoint", keptFile } : [])]);
                    lock (answers)
                    {
                        answers.Add(run.ToString());
                    }

                    Assert.True(run.ExitCode == 0, run.ToString());
                    Assert.Matches(@"OK: .* as of size \d+\.", run.Output);
                }
            });
            await Task.WhenAll(api, cli);
        }
        finally
        {
            await stop.CancelAsync();
        }

        var sent = await writing;
        Assert.True(sent > 0);
        Assert.Equal(32, answers.Count);
        Assert.True(lastApiSize > 200, "the log grew while it was verified");

        // Once the writers are done, the whole log verifies at its final size.
        var final = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(final.GetProperty("ok").GetBoolean(), final.ToString());
        Assert.True(final.GetProperty("size").GetInt64() >= 200 + sent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_event_changed_in_the_database_during_ingest_is_named(bool postgres)
    {
        await using var setup = await Setup.StartAsync(postgres);
        using var client = await setup.Server.ClientForAsync(Some.Tenant());
        await Some.SendManyAsync(client, "", 300);

        using var stop = new CancellationTokenSource();
        var writing = WriteUntilAsync(client, stop.Token);
        JsonElement api;
        try
        {
            await setup.ChangeEventAsync(123);
            api = await (await client.GetAsync("/v1/verify")).JsonAsync();
        }
        finally
        {
            await stop.CancelAsync();
        }

        await writing;
        Assert.False(api.GetProperty("ok").GetBoolean());
        Assert.Equal(123, api.GetProperty("first_bad_seq").GetInt64());
        Assert.Contains("event 123 was changed", api.GetProperty("problem").GetString());
    }
}
