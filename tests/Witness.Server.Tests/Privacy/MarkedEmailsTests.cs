using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Export;
using Witness.Integrity;
using Witness.Server.Tests.Catalog;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Privacy;

/// <summary>
/// An erasure by email reaches the subject's email at catalog-marked paths of other actors' events, and a description
/// the catalog rendered from a personal value keeps no copy of it (docs/erasure.md), over HTTP on both stores.
/// </summary>
public sealed class MarkedEmailsTests
{
    private const string AdaEmail = "ada.subject@example.com";

    private static JsonObject Refund(string actorId, string actorEmail, string customerEmail, bool described = true) =>
        Some.Event(action: "order.refund", change: e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = actorId, ["name"] = $"Agent {actorId}", ["email"] = actorEmail };
            e["targets"] = new JsonArray(new JsonObject { ["type"] = "order", ["id"] = "o_1", ["name"] = "Order 1" });
            e["metadata"] = new JsonObject { ["customer"] = new JsonObject { ["email"] = customerEmail, ["tier"] = "gold" } };
            if (!described)
            {
                e.Remove("description");
            }
        });

    private static async Task<JsonElement> EventAsync(HttpClient client, string id) => await (await client.GetAsync($"/v1/events/{id}")).JsonAsync();

    private static async Task MarkAsync(HttpClient client)
    {
        var entry = CatalogRequests.Entry("Refunded the order of {{metadata.customer.email}}", category: "Orders", crud: "update", description: "Refund order");
        entry["personal"] = new JsonArray("metadata.customer.email");
        Assert.Equal(HttpStatusCode.Created, (await client.PutActionAsync("order.refund", entry)).StatusCode);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Erasing_by_email_erases_it_at_marked_paths_of_another_actors_event_and_every_proof_still_verifies(string storeKind)
    {
        await using var database = storeKind == "postgres" ? await PostgresTestDatabase.CreateAsync() : null;
        await using var server = await RunningServer.StartAsync(o => o.PostgresConnectionString = database?.ConnectionString, sqliteOnly: database is null);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await MarkAsync(client);
        var bobs = await client.SendAndReadAsync(Refund("u_bob", "bob@example.com", AdaEmail));
        var id = bobs.GetProperty("id").GetString()!;
        await client.SendAndReadAsync(Refund("u_ada", AdaEmail, "carl@example.com"));
        var exportBefore = await client.GetStringAsync("/v1/events/export?format=ndjson");

        var response = await client.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["email"] = AdaEmail.ToUpperInvariant() }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.JsonAsync();
        Assert.Equal(2, answer.GetProperty("events").GetInt64());

        var shown = await EventAsync(client, id);
        Assert.Equal("[erased]", shown.GetProperty("metadata").GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal("gold", shown.GetProperty("metadata").GetProperty("customer").GetProperty("tier").GetString());
        Assert.Equal("Agent u_bob", shown.GetProperty("actor").GetProperty("name").GetString());
        Assert.Equal("bob@example.com", shown.GetProperty("actor").GetProperty("email").GetString());
        Assert.Equal(bobs.GetProperty("hash").GetString(), shown.GetProperty("hash").GetString());
        var record = (await (await client.GetAsync("/v1/events?action=privacy.erase")).JsonAsync()).GetProperty("events").EnumerateArray().Single();
        Assert.Equal(2, record.GetProperty("metadata").GetProperty("events").GetInt64());

        // The database files hold no byte of the address once the call has returned.
        if (database is null)
        {
            foreach (var file in Directory.GetFiles(server.DataDirectory, "witness.db*"))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(AdaEmail)) < 0, $"{Path.GetFileName(file)} still holds the erased address");
            }
        }

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
        var proof = await (await client.GetAsync($"/v1/events/{id}/proof")).JsonAsync();
        var leaf = Convert.FromHexString(proof.GetProperty("leaf_hash").GetString()!);
        var canonical = Witness.Events.CanonicalEvent.Write(Witness.Events.CanonicalEvent.FromElement(shown));
        Assert.Equal(leaf, MerkleHash.Leaf(Witness.Events.PersonalValues.Leaf(canonical, Convert.FromBase64String(proof.GetProperty("personal").GetString()!))));
        var note = proof.GetProperty("checkpoint").GetProperty("note").GetString()!;
        var checkpoint = Checkpoint.ParseBody(note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)]);
        Assert.True(MerkleVerifier.VerifyInclusion(leaf, proof.GetProperty("leaf_index").GetInt64(), checkpoint.Size,
            [.. proof.GetProperty("proof").EnumerateArray().Select(p => Convert.FromHexString(p.GetString()!))], checkpoint.RootHash));

        using var publicKey = SigningKey.ImportPublicKeyPem(await client.GetStringAsync("/v1/public-key"));
        var exportAfter = await client.GetStringAsync("/v1/events/export?format=ndjson");
        Assert.DoesNotContain(AdaEmail, exportAfter, StringComparison.OrdinalIgnoreCase);
        foreach (var export in new[] { exportBefore, exportAfter })
        {
            var result = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(export)), publicKey, CancellationToken.None);
            Assert.True(result.Ok, result.Problem);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_description_rendered_from_a_marked_value_shows_no_copy_of_it_after_an_erasure_and_an_event_sent_before_the_marking_is_left(string storeKind)
    {
        await using var database = storeKind == "postgres" ? await PostgresTestDatabase.CreateAsync() : null;
        await using var server = await RunningServer.StartAsync(o => o.PostgresConnectionString = database?.ConnectionString, sqliteOnly: database is null);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        // Sent before the marking: its metadata is not personal, and an erasure leaves it.
        var unmarked = (await client.SendAndReadAsync(Refund("u_carl", "carl@example.com", AdaEmail))).GetProperty("id").GetString()!;
        await MarkAsync(client);
        var sent = await client.SendAndReadAsync(Refund("u_bob", "bob@example.com", AdaEmail, described: false));
        var id = sent.GetProperty("id").GetString()!;
        Assert.Equal($"Refunded the order of {AdaEmail}", sent.GetProperty("description").GetString());

        var response = await client.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["email"] = AdaEmail }));
        Assert.Equal(1, (await response.JsonAsync()).GetProperty("events").GetInt64());

        var shown = await EventAsync(client, id);
        Assert.Equal("Refunded the order of [erased]", shown.GetProperty("description").GetString());
        Assert.Equal(sent.GetProperty("hash").GetString(), shown.GetProperty("hash").GetString());
        Assert.DoesNotContain("Refunded the order of " + AdaEmail, await client.GetStringAsync("/v1/events/export?format=csv"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(AdaEmail, (await EventAsync(client, unmarked)).GetProperty("metadata").GetProperty("customer").GetProperty("email").GetString());
        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
    }
}
