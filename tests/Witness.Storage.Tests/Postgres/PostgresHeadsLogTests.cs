using System.Security.Cryptography;
using Npgsql;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Storage.Postgres;

namespace Witness.Storage.Tests.Postgres;

/// <summary>The heads log on PostgreSQL under a burst of proof requests: appends wait in the process, not in the pool.</summary>
public sealed class PostgresHeadsLogTests
{
    private const string ApplicationName = "witness-heads-burst";

    [Fact]
    public async Task Three_hundred_proof_requests_at_once_for_checkpoints_not_in_the_heads_log_share_a_pool_of_ten_and_append_each_once()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var small = new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 10, ApplicationName = ApplicationName }.ConnectionString;
        await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = small });
        await store.InitializeAsync(CancellationToken.None);
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        var heads = new HeadsLog(store, key, TimeProvider.System);
        var checkpoints = Enumerable.Range(1, 50).Select(i => new Checkpoint("witness/acme", i, SHA256.HashData(BitConverter.GetBytes(i)))).ToList();

        // Another instance holds the heads lock while the burst arrives, so every append of this one has to wait.
        await using var other = new NpgsqlConnection(database.ConnectionString);
        await other.OpenAsync();
        await ExecuteAsync(other, $"SELECT pg_advisory_lock({PostgresStore.HeadsLockKey})");
        var requests = Enumerable.Range(0, 300).Select(i => Task.Run(() => heads.ProveAsync(checkpoints[i % checkpoints.Count], CancellationToken.None))).ToList();
        try
        {
            for (var tries = 0; await WaitingOnHeadsLockAsync(database) == 0; tries++)
            {
                Assert.True(tries < 600 && !requests.Any(r => r.IsFaulted), "no append reached the heads lock");
                await Task.Delay(50);
            }

            // The other 299 wait without a connection: one of the store's connections waits on the lock, however long.
            for (var sample = 0; sample < 5; sample++)
            {
                await Task.Delay(200);
                Assert.Equal(1L, await WaitingOnHeadsLockAsync(database));
            }
        }
        finally
        {
            await ExecuteAsync(other, $"SELECT pg_advisory_unlock({PostgresStore.HeadsLockKey})");
        }

        var proofs = await Task.WhenAll(requests);

        Assert.Equal(50L, await database.ScalarAsync("SELECT count(*) FROM heads_entries"));
        Assert.Equal(50, (await store.LatestHeadsCheckpointAsync(CancellationToken.None))!.Size);
        for (var i = 0; i < proofs.Length; i++)
        {
            var proof = proofs[i];
            Assert.Equal(proofs[i % checkpoints.Count].Index, proof.Index);
            Assert.Equal(HeadsLog.EntryOf(checkpoints[i % checkpoints.Count]), proof.Entry);
            Assert.True(MerkleVerifier.VerifyInclusion(proof.LeafHash, proof.Index, proof.Checkpoint.Size, proof.Proof, proof.Checkpoint.RootHash));
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), proofs.Take(50).Select(p => p.Index).Order());
    }

    private static async Task<long> WaitingOnHeadsLockAsync(PostgresTestDatabase database) =>
        (long)(await database.ScalarAsync(
            $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{ApplicationName}' AND wait_event_type = 'Lock' AND wait_event = 'advisory'"))!;

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
