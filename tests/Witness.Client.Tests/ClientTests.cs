using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Witness.Client.Tests.Support;

namespace Witness.Client.Tests;

/// <summary>The typed client and the verifier against a real Witness process.</summary>
public sealed class ClientTests : IClassFixture<ClientTests.Server>
{
    private readonly Server _server;

    public ClientTests(Server server) => _server = server;

    public sealed class Server : IAsyncLifetime
    {
        public WitnessServer Witness { get; private set; } = null!;

        public async Task InitializeAsync() => Witness = await WitnessServer.CreateAsync();

        public async Task DisposeAsync() => await Witness.DisposeAsync();
    }

    private static AuditEvent Some(string action = "inbox.update", string? id = null) => new()
    {
        Id = id,
        Action = action,
        Actor = new AuditActor { Type = "user", Id = "u_1", Name = "Ada", Email = "ada@example.com" },
        Targets = [new AuditTarget { Type = "inbox", Id = "24725", Name = "Support" }],
        Changes = new AuditChanges { Before = new JsonObject { ["name"] = "Support" }, After = new JsonObject { ["name"] = "Help desk" } },
    };

    [Fact]
    public async Task Sent_events_come_back_by_id_and_through_every_search_page()
    {
        await using var services = _server.Witness.ClientServices();
        var client = services.GetRequiredService<WitnessClient>();
        var action = "test.search_" + Guid.NewGuid().ToString("N")[..6];

        var sent = await client.SendAsync([.. Enumerable.Range(0, 5).Select(_ => Some(action))]);
        var found = new List<AuditEvent>();
        await foreach (var e in client.SearchAsync(new EventQuery { Action = action, PageSize = 2 }))
        {
            found.Add(e);
        }

        Assert.Equal(5, sent.Count);
        Assert.All(sent, s => Assert.True(s.Seq > 0));
        Assert.Equal(sent.Select(s => s.Id).Order(), found.Select(e => e.Id!).Order());
        var one = await client.GetAsync(sent[2].Id);
        Assert.NotNull(one);
        Assert.Equal("Ada", one.Actor!.Name);
        Assert.Equal("Help desk", one.Changes!.After!["name"]!.GetValue<string>());
        Assert.Equal(sent[2].Hash, one.Hash);
        Assert.Null(await client.GetAsync("no-such-event"));
    }

    [Fact]
    public async Task Sending_the_same_events_again_stores_each_once()
    {
        await using var services = _server.Witness.ClientServices();
        var client = services.GetRequiredService<WitnessClient>();
        var action = "test.repeat_" + Guid.NewGuid().ToString("N")[..6];
        var events = Enumerable.Range(0, 3).Select(_ => Some(action)).ToList();

        var first = await client.SendAsync(events);
        var second = await client.SendAsync(events);
        var single = await client.SendAsync(events[0]);
        var stored = new List<AuditEvent>();
        await foreach (var e in client.SearchAsync(new EventQuery { Action = action }))
        {
            stored.Add(e);
        }

        Assert.Equal(3, stored.Count);
        Assert.Equal(first.Select(s => s.Seq), second.Select(s => s.Seq));
        Assert.Equal(first[0].Seq, single.Seq);
    }

    [Fact]
    public async Task A_refused_event_raises_a_typed_exception_with_the_problem_fields()
    {
        await using var services = _server.Witness.ClientServices();
        var client = services.GetRequiredService<WitnessClient>();

        var error = await Assert.ThrowsAsync<WitnessApiException>(() => client.SendAsync([Some(), Some("Not An Action")]));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.True(error.IsRejection);
        Assert.NotNull(error.Title);
        Assert.Contains(error.Errors, e => e.Field == "events[1].action");
    }

    [Fact]
    public async Task Export_streams_every_matching_event()
    {
        await using var services = _server.Witness.ClientServices();
        var client = services.GetRequiredService<WitnessClient>();
        var action = "test.export_" + Guid.NewGuid().ToString("N")[..6];
        await client.SendAsync([.. Enumerable.Range(0, 4).Select(_ => Some(action))]);

        using var file = new MemoryStream();
        await client.ExportAsync("ndjson", file, new EventQuery { Action = action });

        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // A filtered export is in proofs mode: a header line, then {"event":{…},"proof":[…]} per event.
        Assert.Equal(4, lines.Count(l => JsonNode.Parse(l)?["event"]?["action"]?.GetValue<string>() == action));
    }

    [Fact]
    public async Task Verifier_accepts_a_real_proof_and_rejects_a_changed_leaf_root_or_signature()
    {
        await using var services = _server.Witness.ClientServices();
        var client = services.GetRequiredService<WitnessClient>();
        var sent = await client.SendAsync([.. Enumerable.Range(0, 7).Select(_ => Some())]);
        using var verifier = new WitnessVerifier(await client.GetPublicKeyPemAsync());

        var proof = await client.GetProofAsync(sent[3].Id);
        var checkpoint = verifier.VerifyInclusion(proof, expectedLeafHash: sent[3].Hash);
        Assert.Equal(proof.TreeSize, checkpoint.Size);
        Assert.EndsWith("/" + _server.Witness.Tenant, checkpoint.Origin, StringComparison.Ordinal);
        verifier.VerifyCheckpoint((await client.GetLatestCheckpointAsync()).Note);

        var changedLeaf = proof with { LeafHash = Flip(proof.LeafHash) };
        Assert.Throws<WitnessVerificationException>(() => verifier.VerifyInclusion(changedLeaf));
        Assert.Throws<WitnessVerificationException>(() => verifier.VerifyInclusion(proof, expectedLeafHash: sent[4].Hash));
        if (proof.Proof.Count > 0)
        {
            var changedPath = proof with { Proof = [Flip(proof.Proof[0]), .. proof.Proof.Skip(1)] };
            Assert.Throws<WitnessVerificationException>(() => verifier.VerifyInclusion(changedPath));
        }

        // A forged root: the note's body changed, its signature kept.
        var lines = proof.Checkpoint.Note.Split('\n');
        var root = Convert.FromBase64String(lines[2]);
        root[0] ^= 1;
        lines[2] = Convert.ToBase64String(root);
        var changedRoot = proof with { Checkpoint = proof.Checkpoint with { Note = string.Join('\n', lines) } };
        Assert.Throws<WitnessVerificationException>(() => verifier.VerifyInclusion(changedRoot));

        // A changed signature: one bit of the ECDSA signature, after the 4-byte key id.
        var signatureLine = Array.FindIndex(lines, l => l.StartsWith('\u2014'));
        var original = proof.Checkpoint.Note.Split('\n');
        var parts = original[signatureLine].Split(' ');
        var blob = Convert.FromBase64String(parts[^1]);
        blob[^5] ^= 1;
        parts[^1] = Convert.ToBase64String(blob);
        original[signatureLine] = string.Join(' ', parts);
        var changedSignature = proof with { Checkpoint = proof.Checkpoint with { Note = string.Join('\n', original) } };
        Assert.Throws<WitnessVerificationException>(() => verifier.VerifyInclusion(changedSignature));

        // Another key: the server's note is not signed by it.
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var stranger = new WitnessVerifier(other.ExportSubjectPublicKeyInfoPem());
        Assert.Throws<WitnessVerificationException>(() => stranger.VerifyInclusion(proof));
    }

    [Fact]
    public async Task Options_are_checked_when_the_host_starts_and_every_problem_is_named()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWitnessClient(o =>
        {
            o.Endpoint = new Uri("ftp://witness.example.com");
            o.Mode = DeliveryMode.MustDeliver;
            o.BatchSize = 5000;
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("Endpoint", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("ApiKey", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("SpoolDirectory", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("BatchSize", StringComparison.Ordinal));
    }

    private static string Flip(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        bytes[^1] ^= 1;
        return Convert.ToHexStringLower(bytes);
    }
}
