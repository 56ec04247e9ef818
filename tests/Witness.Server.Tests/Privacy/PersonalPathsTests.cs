using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Witness.Export;
using Witness.Integrity;
using Witness.Server.Tests.Catalog;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Privacy;

/// <summary>
/// Paths a tenant's catalog entry marks personal (docs/erasure.md): set through <c>PUT /v1/actions/{action}</c>,
/// sealed as commitments into the leaf, shown with their values, erased with the subject, and every proof
/// and export still verifies.
/// </summary>
public sealed class PersonalPathsTests
{
    private static JsonObject RefundEvent(string actorId) =>
        Some.Event(action: "order.refund", change: e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = actorId, ["name"] = "Erin Subject", ["email"] = $"{actorId}@example.com" };
            e["targets"] = new JsonArray(new JsonObject { ["type"] = "customer", ["id"] = "c_1", ["name"] = "Carl Customer" });
            e["metadata"] = new JsonObject { ["customer"] = new JsonObject { ["email"] = "carl@example.com", ["tier"] = "gold" } };
            e.Remove("description");
        });

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Catalog_marked_values_are_shown_committed_in_the_leaf_and_erased_with_the_subject(string storeKind)
    {
        await using var database = storeKind == "postgres" ? await PostgresTestDatabase.CreateAsync() : null;
        await using var server = await RunningServer.StartAsync(o => o.PostgresConnectionString = database?.ConnectionString, sqliteOnly: database is null);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);

        var entry = CatalogRequests.Entry("Refunded an order", category: "Orders", crud: "update", description: "Refund order");
        entry["personal"] = new JsonArray("targets[].name", "metadata.customer.email");
        var put = await client.PutActionAsync("order.refund", entry);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(["targets[].name", "metadata.customer.email"], (await put.JsonAsync()).GetProperty("personal").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(2, (await client.ListActionsAsync("?layer=tenant"))["order.refund"].GetProperty("personal").GetArrayLength());

        var shown = await client.SendAndReadAsync(RefundEvent("u_erin"));
        await client.SendAndReadAsync(RefundEvent("u_other"));
        var id = shown.GetProperty("id").GetString()!;
        Assert.Equal("Carl Customer", shown.GetProperty("targets")[0].GetProperty("name").GetString());
        Assert.Equal("carl@example.com", shown.GetProperty("metadata").GetProperty("customer").GetProperty("email").GetString());

        var proof = await (await client.GetAsync($"/v1/events/{id}/proof")).JsonAsync();
        var canonical = Witness.Events.CanonicalEvent.Write(Witness.Events.CanonicalEvent.FromElement(shown));
        var leafBytes = Witness.Events.PersonalValues.Leaf(canonical, Convert.FromBase64String(proof.GetProperty("personal").GetString()!));
        Assert.Equal(Convert.FromHexString(proof.GetProperty("leaf_hash").GetString()!), MerkleHash.Leaf(leafBytes));
        Assert.DoesNotContain("carl@example.com", Encoding.UTF8.GetString(leafBytes), StringComparison.Ordinal);
        Assert.DoesNotContain("Carl Customer", Encoding.UTF8.GetString(leafBytes), StringComparison.Ordinal);
        Assert.Contains("\"tier\":\"gold\"", Encoding.UTF8.GetString(leafBytes), StringComparison.Ordinal);
        var exportBefore = await client.GetStringAsync("/v1/events/export?format=ndjson");

        var erase = await client.PostAsync("/v1/subjects/erase", Some.Json(new JsonObject { ["actor_id"] = "u_erin" }));
        Assert.Equal(HttpStatusCode.OK, erase.StatusCode);
        Assert.Equal(1, (await erase.JsonAsync()).GetProperty("events").GetInt64());

        var erased = await (await client.GetAsync($"/v1/events/{id}")).JsonAsync();
        Assert.Equal("[erased]", erased.GetProperty("targets")[0].GetProperty("name").GetString());
        Assert.Equal("[erased]", erased.GetProperty("metadata").GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal("gold", erased.GetProperty("metadata").GetProperty("customer").GetProperty("tier").GetString());
        Assert.Equal(shown.GetProperty("hash").GetString(), erased.GetProperty("hash").GetString());

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
        using var publicKey = SigningKey.ImportPublicKeyPem(await client.GetStringAsync("/v1/public-key"));
        foreach (var export in new[] { exportBefore, await client.GetStringAsync("/v1/events/export?format=ndjson") })
        {
            var result = await ExportVerifier.VerifyAsync(new MemoryStream(Encoding.UTF8.GetBytes(export)), publicKey, CancellationToken.None);
            Assert.True(result.Ok, result.Problem);
        }
    }

    [Fact]
    public async Task A_bad_personal_path_is_refused_naming_its_index_and_nothing_is_stored()
    {
        await using var server = await RunningServer.StartAsync(sqliteOnly: true);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        var entry = CatalogRequests.Entry("Refunded an order");
        entry["personal"] = new JsonArray("metadata.customer.email", "actor.email", 7);

        var response = await client.PutActionAsync("order.refund", entry);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["personal[2]", "personal[1]"], await response.ProblemFieldsAsync());
        Assert.DoesNotContain("order.refund", (await client.ListActionsAsync("?layer=tenant")).Keys);

        entry["personal"] = "metadata";
        Assert.Equal(["personal"], await (await client.PutActionAsync("order.refund", entry)).ProblemFieldsAsync());
    }
}
