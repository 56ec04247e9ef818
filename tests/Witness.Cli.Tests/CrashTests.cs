using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Data.Sqlite;

namespace Witness.Cli.Tests;

/// <summary>Acknowledged means durable: a SIGKILL during concurrent ingest loses nothing that was answered 2xx.</summary>
public sealed class CrashTests
{
    private const string Tenant = "crash";

    [Fact]
    public async Task Every_acknowledged_event_survives_repeated_kills_during_concurrent_ingest()
    {
        var data = TempFolder.Create("witness-crash");
        try
        {
            var (exit, output, _) = await WitnessProcess.RunAsync("keys", "create", "--tenant", Tenant, "--scopes", "events:write", "--data", data);
            Assert.Equal(0, exit);
            var key = output.Trim().Split('\n')[^1];
            var acknowledged = new ConcurrentDictionary<string, long>();
            var next = 0;

            for (var round = 0; round < 3; round++)
            {
                using var server = await WitnessProcess.ServeAsync(data);
                using var stop = new CancellationTokenSource();
                var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
                {
                    using var client = new HttpClient { BaseAddress = server.Address };
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    while (!stop.IsCancellationRequested)
                    {
                        var ids = Enumerable.Range(0, 50).Select(_ => $"c-{Interlocked.Increment(ref next)}").ToList();
                        try
                        {
                            var response = await client.PostAsync(Some.Batch(ids.Select(id => Some.Event(change: e => e["id"] = id))));
                            if (response.StatusCode == HttpStatusCode.Created)
                            {
                                foreach (var e in (await response.JsonAsync()).GetProperty("events").EnumerateArray())
                                {
                                    acknowledged[e.GetProperty("id").GetString()!] = e.GetProperty("seq").GetInt64();
                                }
                            }
                        }
                        catch (HttpRequestException)
                        {
                            // The server died mid-request: this batch was never acknowledged.
                            return;
                        }
                    }
                })).ToList();

                await Task.Delay(TimeSpan.FromMilliseconds(1200 + (round * 300)));
                await server.KillAsync();
                await stop.CancelAsync();
                await Task.WhenAll(clients);
            }

            Assert.True(acknowledged.Count > 200, $"only {acknowledged.Count} events were acknowledged before the kills");

            var (verifyExit, verifyOutput, verifyError) = await WitnessProcess.RunAsync("verify", "--tenant", Tenant, "--data", data);
            Assert.True(verifyExit == 0, verifyOutput + verifyError);

            using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "witness.db")};Mode=ReadOnly;Pooling=False");
            connection.Open();
            var stored = new Dictionary<string, long>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT event_id, seq FROM events";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    stored[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            foreach (var (id, seq) in acknowledged)
            {
                Assert.True(stored.TryGetValue(id, out var storedSeq), $"acknowledged event {id} is missing after the crash");
                Assert.Equal(seq, storedSeq);
            }

            Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Values.Order());
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }
}
