using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Witness.Access;
using Witness.Integrity;
using Witness.Server.Tests.Support;
using Witness.Storage.Postgres;

namespace Witness.Server.Tests.Witnessing;

/// <summary>Issue 22 item 6: two <c>witness serve --postgres</c> processes on one database share one heads log and its witnessing.</summary>
public sealed class TwoInstanceWitnessingTests
{
    [Fact]
    public async Task Two_instances_on_one_database_append_one_heads_log_and_serve_the_same_checkpoint_cosigned_once_by_each_of_two_witnesses()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var folder = TempFolder.Create("witness-two-instances");
        try
        {
            var origin = WitnessSetup.NewOrigin();
            var keys = Path.Combine(folder, "keys");
            var logKey = WitnessSetup.CreateLogKeys(keys, origin);
            var (w1, w1Key) = await WitnessSetup.StartWitnessAsync(folder, "w1", origin, logKey);
            using var w1Process = w1;
            var (w2, w2Key) = await WitnessSetup.StartWitnessAsync(folder, "w2", origin, logKey);
            using var w2Process = w2;
            string[] Args() =>
            [
                "--postgres", database.ConnectionString, "--signing-key", Path.Combine(keys, SigningKey.FileName), "--origin", origin,
                "--witness", $"{w1Key}={w1.Address}", "--witness", $"{w2Key}={w2.Address}", "--witness-policy", "2",
            ];

            // Both start at once on an empty database.
            var started = await Task.WhenAll(WitnessProcess.ServeAsync(Path.Combine(folder, "a"), Args()), WitnessProcess.ServeAsync(Path.Combine(folder, "b"), Args()));
            using var a = started[0];
            using var b = started[1];
            var tenants = new[] { Some.Tenant(), Some.Tenant() };
            string key;
            await using (var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = database.ConnectionString }))
            {
                await store.InitializeAsync(CancellationToken.None);
                var (text, record) = ApiKeys.Create(null, Scopes.All, "test", DateTimeOffset.UtcNow);
                await store.CreateApiKeyAsync(record, CancellationToken.None);
                key = text;
            }

            using var clientA = Client(a.Address, key);
            using var clientB = Client(b.Address, key);

            // Both instances ingest into both tenants and sign their checkpoints at once, several rounds, while both submit to the witnesses.
            for (var round = 0; round < 3; round++)
            {
                await Task.WhenAll(tenants.SelectMany(t => new[] { clientA, clientB }.Select(async client =>
                {
                    var sent = await client.PostAsync(Some.Batch(Enumerable.Range(0, 20).Select(_ => Some.Event(t))));
                    Assert.True(sent.StatusCode == HttpStatusCode.Created, await sent.Content.ReadAsStringAsync());
                    Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/checkpoints/latest?tenant={t}")).StatusCode);
                })));
            }

            // Both answer the same witnessed heads log, at its latest size, with no witness refusing or failing.
            var (statusA, statusB) = await Eventually.GetValueAsync(async () =>
            {
                var sa = await WitnessSetup.StatusAsync(clientA);
                var sb = await WitnessSetup.StatusAsync(clientB);
                static bool Done(JsonElement s) => s.GetProperty("last_witnessed") is { ValueKind: JsonValueKind.Object } last
                    && last.GetProperty("size").GetInt64() == s.GetProperty("size").GetInt64()
                    && s.GetProperty("witnesses").EnumerateArray().All(w => w.GetProperty("problem").ValueKind == JsonValueKind.Null);
                return Done(sa) && Done(sb) && sa.GetProperty("size").GetInt64() == sb.GetProperty("size").GetInt64() ? ((JsonElement, JsonElement)?)(sa, sb) : null;
            }, "both instances reporting the heads log witnessed by both witnesses at the same size");
            Assert.Equal(2, statusA.GetProperty("last_witnessed").GetProperty("witnesses").GetInt32());
            Assert.Equal(statusA.GetProperty("last_witnessed").GetProperty("note").GetString(), statusB.GetProperty("last_witnessed").GetProperty("note").GetString());
            Assert.False(statusA.GetProperty("behind").GetBoolean());
            Assert.All(statusB.GetProperty("witnesses").EnumerateArray(), w => Assert.False(w.GetProperty("refused").GetBoolean()));

            // One heads log: every tenant checkpoint either instance signed is in it once; both serve the same cosigned checkpoint.
            var checkpointA = await clientA.GetStringAsync("/tiles/heads/checkpoint");
            Assert.Equal(checkpointA, await clientB.GetStringAsync("/tiles/heads/checkpoint"));
            Assert.Equal(statusA.GetProperty("size").GetInt64(), WitnessSetup.BodyOf(checkpointA).Size);
            foreach (var (name, witnessKey) in new[] { ("w1", w1Key), ("w2", w2Key) })
            {
                Assert.NotNull(NoteVerifierKey.Parse(witnessKey).CosignatureTime(checkpointA));
                Assert.Single(checkpointA.Split('\n'), l => l.StartsWith($"\u2014 witness.example.org/{name} ", StringComparison.Ordinal));
            }

            Assert.True(NoteVerifierKey.Parse(logKey).VerifiesNote(checkpointA));
            foreach (var tenant in tenants)
            {
                var heads = (await (await clientB.GetAsync($"/v1/checkpoints/latest?tenant={tenant}")).JsonAsync()).GetProperty("heads");
                var witnessed = heads.GetProperty("witnessed");
                Assert.True(witnessed.GetProperty("includes_this_checkpoint").GetBoolean());
                var (size, root) = WitnessSetup.BodyOf(witnessed.GetProperty("checkpoint").GetString()!);
                var proof = witnessed.GetProperty("proof").EnumerateArray().Select(p => Convert.FromHexString(p.GetString()!)).ToArray();
                Assert.True(MerkleVerifier.VerifyInclusion(Convert.FromHexString(heads.GetProperty("leaf_hash").GetString()!), heads.GetProperty("index").GetInt64(), size, proof, root));
            }

            // And each tenant's log verifies whole, whichever instance appended.
            foreach (var tenant in tenants)
            {
                var verified = await (await clientA.GetAsync($"/v1/verify?tenant={tenant}")).JsonAsync();
                Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
            }
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
