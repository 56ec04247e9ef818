using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Export;
using Witness.Integrity;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Export;

/// <summary>The NDJSON export proves itself offline: it verifies as sent and fails, naming the event, after any alteration.</summary>
public sealed class VerifiableExportTests : IAsyncLifetime
{
    private const int Events = 40;
    private RunningServer _server = null!;
    private HttpClient _client = null!;
    private string _tenant = null!;
    private string _publicKeyPem = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        _tenant = Some.Tenant();
        _client = await _server.ClientForAsync(_tenant);
        await Some.SendManyAsync(_client, _tenant, Events, i => Some.Event(_tenant, i % 3 == 0 ? "team.create" : "inbox.create", e =>
        {
            e["id"] = $"evt-{i:D3}";
            e["occurred_at"] = $"2023-06-{1 + (i % 20):D2}T{i % 24:D2}:00:00Z";
            e["description"] = i % 5 == 0 ? "Odd: \"quotes\" \\ back\\slash \u2028 \u0000 \t tab é 🎉 </script>" : $"Event {i}";
            e["metadata"] = new JsonObject { ["big"] = 12345678901234567890.5m, ["exp"] = JsonNode.Parse("1E+400"), ["nested"] = new JsonObject { ["z"] = 1, ["a"] = new JsonArray(1, "x", null, true) } };
        }));
        _publicKeyPem = await _client.GetStringAsync("/v1/public-key");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_whole_log_export_verifies_offline_and_lists_every_event_in_seq_order()
    {
        var lines = await ExportLinesAsync("");
        var header = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(1, header.GetProperty("witness_export").GetInt32());
        Assert.Equal("log", header.GetProperty("mode").GetString());
        Assert.Equal(_tenant, header.GetProperty("tenant").GetString());
        Assert.Equal(Events, header.GetProperty("checkpoint").GetProperty("size").GetInt64());
        Assert.Equal(Enumerable.Range(1, Events), lines[1..^1].Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt32()));

        // Each line is the event as the API shows it, with its personal record after the hash (leaf version 2).
        var single = await _client.GetStringAsync("/v1/events/evt-005");
        Assert.Contains(lines, l => l.StartsWith(single[..^1] + ",\"personal\":\"", StringComparison.Ordinal));

        var result = await VerifyAsync(lines);
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(Events, result.Events);
    }

    [Fact]
    public async Task A_filtered_export_carries_an_inclusion_proof_per_event_and_verifies_offline()
    {
        var lines = await ExportLinesAsync("&action=team.create");
        Assert.Equal("proofs", JsonDocument.Parse(lines[0]).RootElement.GetProperty("mode").GetString());
        Assert.Equal(14, lines.Length - 2);
        Assert.All(lines[1..^1], l => Assert.True(JsonDocument.Parse(l).RootElement.GetProperty("proof").GetArrayLength() > 0));

        var result = await VerifyAsync(lines);
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(14, result.Events);
    }

    [Theory]
    [InlineData("")]
    [InlineData("&action=team.create")]
    public async Task A_changed_byte_fails_naming_the_event(string filter)
    {
        var lines = await ExportLinesAsync(filter);
        var index = 4;
        var seq = SeqOf(lines[index]);
        var id = IdOf(lines[index]);
        lines[index] = lines[index].Replace("Ada Admin", "Ada Admim", StringComparison.Ordinal);

        var result = await VerifyAsync(lines);
        Assert.False(result.Ok);
        Assert.Equal(seq, result.Seq);
        Assert.Equal(id, result.EventId);
        Assert.Contains("changed", result.Problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("&action=team.create")]
    public async Task A_removed_event_fails_naming_it(string filter)
    {
        var lines = (await ExportLinesAsync(filter)).ToList();
        var removedSeq = SeqOf(lines[5]);
        lines.RemoveAt(5);

        var result = await VerifyAsync([.. lines]);
        Assert.False(result.Ok);
        Assert.Equal(removedSeq, result.Seq);
        Assert.Contains("removed", result.Problem);
    }

    [Fact]
    public async Task A_removed_last_event_fails_as_the_signed_count_no_longer_matches()
    {
        var lines = (await ExportLinesAsync("&action=team.create")).ToList();
        lines.RemoveAt(lines.Count - 2);

        var result = await VerifyAsync([.. lines]);
        Assert.False(result.Ok);
        Assert.Contains("removed", result.Problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("&action=team.create")]
    public async Task Reordered_events_fail_naming_an_event_out_of_place(string filter)
    {
        var lines = await ExportLinesAsync(filter);
        var moved = new[] { SeqOf(lines[6]), SeqOf(lines[7]) };
        (lines[6], lines[7]) = (lines[7], lines[6]);

        var result = await VerifyAsync(lines);
        Assert.False(result.Ok);
        Assert.Contains(result.Seq!.Value, moved);
    }

    [Theory]
    [InlineData("")]
    [InlineData("&action=team.create")]
    public async Task An_inserted_event_fails_naming_it(string filter)
    {
        var lines = (await ExportLinesAsync(filter)).ToList();
        // A copy of a genuine event placed elsewhere: a valid hash and proof, in a place it does not belong.
        lines.Insert(8, lines[3]);

        var result = await VerifyAsync([.. lines]);
        Assert.False(result.Ok);
        Assert.Equal(SeqOf(lines[3]), result.Seq);
        Assert.Equal(9, result.Line);
    }

    [Fact]
    public async Task A_forged_event_with_a_recomputed_hash_is_not_in_the_signed_log()
    {
        var lines = await ExportLinesAsync("&action=team.create");
        var line = JsonNode.Parse(lines[3])!.AsObject();
        var forged = line["event"]!.AsObject();
        forged["description"] = "Nothing happened here";
        forged.Remove("hash");
        var canonical = Witness.Events.CanonicalEvent.Write(Witness.Events.CanonicalEvent.FromElement(JsonDocument.Parse(forged.ToJsonString()).RootElement));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Witness.Events.CanonicalEvent.WriteWithHash(buffer, canonical, MerkleHash.Leaf(canonical));
        lines[3] = "{\"event\":" + Encoding.UTF8.GetString(buffer.WrittenSpan) + lines[3][lines[3].IndexOf(",\"prev_seq\"", StringComparison.Ordinal)..];

        var result = await VerifyAsync(lines);
        Assert.False(result.Ok);
        Assert.Equal(forged["seq"]!.GetValue<long>(), result.Seq);
        Assert.Contains("inclusion proof", result.Problem);
    }

    [Fact]
    public async Task A_checkpoint_signed_by_another_key_fails()
    {
        var lines = await ExportLinesAsync("");
        var header = JsonNode.Parse(lines[0])!.AsObject();
        var note = header["checkpoint"]!["note"]!.GetValue<string>();
        var checkpoint = Checkpoint.ParseBody(note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)]);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        header["checkpoint"]!["note"] = CheckpointSigner.Sign(checkpoint, header["key_name"]!.GetValue<string>(), other);
        lines[0] = header.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        var result = await VerifyAsync(lines);
        Assert.False(result.Ok);
        Assert.Contains("checkpoint", result.Problem);
        Assert.Contains("another key", result.Problem);

        // And the genuine file does not verify against some other key either.
        var genuine = await ExportLinesAsync("");
        var wrongKey = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", genuine) + "\n")), other, CancellationToken.None);
        Assert.False(wrongKey.Ok);
    }

    [Fact]
    public async Task Witness_verify_checks_a_file_offline_and_exits_1_naming_the_seq()
    {
        var folder = TempFolder.Create("witness-verify");
        try
        {
            var keyPath = Path.Combine(folder, "key.pem");
            await File.WriteAllTextAsync(keyPath, _publicKeyPem);
            var good = Path.Combine(folder, "export.ndjson");
            var lines = await ExportLinesAsync("&action=team.create");
            await File.WriteAllTextAsync(good, string.Join("\n", lines) + "\n");
            var ok = await WitnessProcess.RunAsync("verify", "--file", good, "--public-key", keyPath);
            Assert.True(ok.ExitCode == 0, ok.ToString());
            Assert.Contains("OK", ok.Output);

            var seq = SeqOf(lines[2]);
            lines[2] = lines[2].Replace("Ada Admin", "Eve Admin", StringComparison.Ordinal);
            var bad = Path.Combine(folder, "altered.ndjson");
            await File.WriteAllTextAsync(bad, string.Join("\n", lines) + "\n");
            var failed = await WitnessProcess.RunAsync("verify", "--file", bad, "--public-key", keyPath);
            Assert.True(failed.ExitCode == 1, failed.ToString());
            Assert.Contains($"first bad seq: {seq}", failed.Output);

            var neither = await WitnessProcess.RunAsync("verify", "--file", good);
            Assert.NotEqual(0, neither.ExitCode);
            Assert.Contains("--public-key", neither.Error + neither.Output);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    private async Task<string[]> ExportLinesAsync(string filter)
    {
        var body = await _client.GetStringAsync($"/v1/events/export?format=ndjson{filter}");
        Assert.EndsWith("\n", body);
        return body[..^1].Split('\n');
    }

    private async Task<ExportVerification> VerifyAsync(string[] lines)
    {
        using var key = SigningKey.ImportPublicKeyPem(_publicKeyPem);
        var bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        return await ExportVerifier.VerifyAsync(new MemoryStream(bytes), key, CancellationToken.None);
    }

    private static long SeqOf(string line)
    {
        var root = JsonDocument.Parse(line).RootElement;
        return (root.TryGetProperty("event", out var e) ? e : root).GetProperty("seq").GetInt64();
    }

    private static string IdOf(string line)
    {
        var root = JsonDocument.Parse(line).RootElement;
        return (root.TryGetProperty("event", out var e) ? e : root).GetProperty("id").GetString()!;
    }
}
