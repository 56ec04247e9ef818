using System.Net;
using System.Text.Json;
using Witness.Integrity;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

public sealed class IntegrityTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        _client = await _server.ClientForAsync(Some.Tenant());
        await Some.SendManyAsync(_client, "", 700, i => Some.Event(change: e => e["id"] = $"e{i}"));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static byte[] Hex(JsonElement e) => Convert.FromHexString(e.GetString()!);

    [Fact]
    public async Task An_inclusion_proof_verifies_against_the_signed_checkpoint_with_only_the_public_key()
    {
        using var anonymous = _server.Client();
        using var publicKey = SigningKey.ImportPublicKeyPem(await anonymous.GetStringAsync("/v1/public-key"));

        var proof = await (await _client.GetAsync("/v1/events/e300/proof")).JsonAsync();
        var note = proof.GetProperty("checkpoint").GetProperty("note").GetString()!;
        Assert.True(CheckpointSigner.TryVerify(note, "witness", publicKey, out var checkpoint));
        Assert.Equal(proof.GetProperty("tree_size").GetInt64(), checkpoint!.Size);

        var leaf = Hex(proof.GetProperty("leaf_hash"));
        var path = proof.GetProperty("proof").EnumerateArray().Select(Hex).ToList();
        Assert.True(MerkleVerifier.VerifyInclusion(leaf, proof.GetProperty("leaf_index").GetInt64(), checkpoint.Size, path, checkpoint.RootHash));

        // The leaf hash is the hash of the event as the API shows it, minus its hash member, with its
        // personal values replaced by the commitments the proof's personal record gives (docs/erasure.md).
        var stored = await (await _client.GetAsync("/v1/events/e300")).JsonAsync();
        var canonical = Witness.Events.CanonicalEvent.Write(Witness.Events.CanonicalEvent.FromElement(stored));
        var personal = proof.TryGetProperty("personal", out var record) && record.ValueKind == JsonValueKind.String ? Convert.FromBase64String(record.GetString()!) : null;
        Assert.Equal(leaf, MerkleHash.Leaf(Witness.Events.PersonalValues.Leaf(canonical, personal)));

        path[3][0] ^= 1;
        Assert.False(MerkleVerifier.VerifyInclusion(leaf, proof.GetProperty("leaf_index").GetInt64(), checkpoint.Size, path, checkpoint.RootHash));
    }

    [Fact]
    public async Task A_kept_checkpoint_is_proved_consistent_with_the_grown_log()
    {
        var old = await (await _client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        var oldSize = old.GetProperty("size").GetInt64();
        var oldRoot = Convert.FromBase64String(old.GetProperty("root_hash").GetString()!);
        await Some.SendManyAsync(_client, "", 300);

        var latest = await (await _client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        var newSize = latest.GetProperty("size").GetInt64();
        Assert.True(newSize > oldSize);
        var newRoot = Convert.FromBase64String(latest.GetProperty("root_hash").GetString()!);

        var consistency = await (await _client.GetAsync($"/v1/checkpoints/consistency?from={oldSize}&to={newSize}")).JsonAsync();
        var proof = consistency.GetProperty("proof").EnumerateArray().Select(Hex).ToList();
        Assert.True(MerkleVerifier.VerifyConsistency(oldSize, newSize, proof, oldRoot, newRoot));
        Assert.False(MerkleVerifier.VerifyConsistency(oldSize, newSize, proof, newRoot, oldRoot));
    }

    [Fact]
    public async Task Verify_reports_an_intact_log_with_its_event_count()
    {
        await _client.GetAsync("/v1/checkpoints/latest");
        var result = await (await _client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("first_bad_seq").ValueKind);
        Assert.True(result.GetProperty("events").GetInt64() >= 700);
        Assert.True(result.GetProperty("checkpoints_checked").GetInt32() >= 1);
    }

    [Fact]
    public async Task Consistency_sizes_out_of_range_are_rejected_naming_the_parameter()
    {
        var response = await _client.GetAsync("/v1/checkpoints/consistency?from=5&to=999999");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("to", (await response.JsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint()
    {
        using var anonymous = _server.Client();
        var doc = await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var path in new[] { "/v1/events", "/v1/events/{id}", "/v1/events/{id}/proof", "/v1/verify", "/v1/checkpoints/latest", "/v1/checkpoints/consistency", "/v1/public-key", "/v1/settings", "/healthz" })
        {
            Assert.Contains(path, paths);
        }

        Assert.Equal("ok", (await (await anonymous.GetAsync("/healthz")).JsonAsync()).GetProperty("status").GetString());
    }
}
