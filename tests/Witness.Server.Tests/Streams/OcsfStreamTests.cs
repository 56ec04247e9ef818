using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

public sealed class OcsfStreamTests
{
    /// <summary>
    /// What OCSF 1.1 requires of each class Witness writes: the base event's required attributes
    /// (activity_id, category_uid, class_uid, type_uid = class_uid * 100 + activity_id, severity_id, time,
    /// metadata with version and product.vendor_name), then per class: Authentication 3002 user and at
    /// least one of service and dst_endpoint; Account Change 3001 user; Entity Management 3004 entity;
    /// API Activity 6003 actor, api with operation, src_endpoint.
    /// </summary>
    private static void AssertValid(JsonElement r)
    {
        foreach (var name in (string[])["activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata"])
        {
            Assert.True(r.TryGetProperty(name, out _), $"missing {name}: {r}");
        }

        var classUid = r.GetProperty("class_uid").GetInt32();
        Assert.Equal(classUid / 1000, r.GetProperty("category_uid").GetInt32());
        Assert.Equal((classUid * 100L) + r.GetProperty("activity_id").GetInt32(), r.GetProperty("type_uid").GetInt64());
        Assert.Equal("1.1.0", r.GetProperty("metadata").GetProperty("version").GetString());
        Assert.False(string.IsNullOrEmpty(r.GetProperty("metadata").GetProperty("product").GetProperty("vendor_name").GetString()));
        Assert.Contains(r.GetProperty("severity_id").GetInt32(), new[] { 0, 1, 2, 3, 4, 5, 6, 99 });
        switch (classUid)
        {
            case 3002:
                AssertUser(r.GetProperty("user"));
                Assert.True(r.TryGetProperty("service", out _) || r.TryGetProperty("dst_endpoint", out _));
                Assert.Contains(r.GetProperty("activity_id").GetInt32(), new[] { 1, 2, 99 });
                break;
            case 3001:
                AssertUser(r.GetProperty("user"));
                break;
            case 3004:
                var entity = r.GetProperty("entity");
                Assert.True(entity.TryGetProperty("name", out _) || entity.TryGetProperty("uid", out _));
                Assert.Contains(r.GetProperty("activity_id").GetInt32(), new[] { 1, 2, 3, 4, 99 });
                break;
            case 6003:
                AssertUser(r.GetProperty("actor").GetProperty("user"));
                Assert.False(string.IsNullOrEmpty(r.GetProperty("api").GetProperty("operation").GetString()));
                var endpoint = r.GetProperty("src_endpoint");
                Assert.True(endpoint.TryGetProperty("ip", out _) || endpoint.TryGetProperty("name", out _));
                break;
            default:
                Assert.Fail($"unexpected class {classUid}");
                break;
        }

        static void AssertUser(JsonElement user) => Assert.True(user.TryGetProperty("uid", out _) || user.TryGetProperty("name", out _));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Each_event_maps_to_its_ocsf_class_with_the_attributes_the_class_requires_and_tenant_seq_and_hash_in_metadata(string storeKind)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var store = await StreamTestStore.CreateAsync(storeKind);
        await using var server = await store.StartServerAsync(o =>
        {
            o.WebhookAllowedHosts.Add("127.0.0.1");
            o.Streams.PollInterval = TimeSpan.FromMilliseconds(200);
        });
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        (string Action, int Class, int Activity)[] cases =
        [
            ("user.login", 3002, 1), ("user.logout", 3002, 2), ("user.login_failed", 3002, 1), ("user.password_change", 3001, 3),
            ("user.mfa_enable", 3001, 10), ("collaborator.role_change", 3001, 99), ("inbox.create", 3004, 1), ("inbox.update", 3004, 3),
            ("inbox.delete", 3004, 4), ("report.run", 6003, 99), ("audit_log.export", 6003, 2),
        ];
        await Some.SendManyAsync(client, tenant, cases.Length, i => Some.Event(tenant, cases[i].Action, e =>
        {
            if (i == 2)
            {
                e["outcome"] = "failure";
                e["reason"] = "wrong password";
            }

            if (i == 9)
            {
                e.Remove("context");
            }
        }));
        await client.PostAsync("/v1/streams", Some.Json(new JsonObject { ["name"] = "ocsf", ["kind"] = "http", ["url"] = new Uri(receiver.Address, "/ocsf").ToString(), ["format"] = "ocsf", ["start_seq"] = 1 }));
        // The cases, then the stream's own stream.create.
        List<JsonElement> Records() => [.. receiver.Requests.SelectMany(r => Encoding.UTF8.GetString(StreamTestSupport.Gunzip(r.Body)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(l => JsonDocument.Parse(l).RootElement)];
        var records = await Eventually.GetAsync<List<JsonElement>>(async () =>
        {
            await Task.Yield();
            var all = Records();
            return all.Count >= cases.Length + 1 ? all : null;
        }, "every event and the stream's creation");
        Assert.Equal(cases.Length + 1, records.Count);
        AssertValid(records[^1]);
        Assert.Equal("stream.create", records[^1].GetProperty("unmapped").GetProperty("action").GetString());
        Assert.Equal(3004, records[^1].GetProperty("class_uid").GetInt32());
        for (var i = 0; i < cases.Length; i++)
        {
            var r = records[i];
            AssertValid(r);
            Assert.Equal(cases[i].Class, r.GetProperty("class_uid").GetInt32());
            Assert.Equal(cases[i].Activity, r.GetProperty("activity_id").GetInt32());
            var metadata = r.GetProperty("metadata");
            Assert.Equal(tenant, metadata.GetProperty("tenant_uid").GetString());
            Assert.Equal(i + 1, metadata.GetProperty("sequence").GetInt64());
            var stored = await (await client.GetAsync($"/v1/events/{metadata.GetProperty("uid").GetString()}")).JsonAsync();
            Assert.Equal(i + 1, stored.GetProperty("seq").GetInt64());
            Assert.Equal("hash:" + stored.GetProperty("hash").GetString(), metadata.GetProperty("labels")[0].GetString());
            Assert.Equal(stored.GetProperty("hash").GetString(), r.GetProperty("unmapped").GetProperty("hash").GetString());
        }

        Assert.Equal(2, records[2].GetProperty("status_id").GetInt32());
        Assert.Equal("wrong password", records[2].GetProperty("status_detail").GetString());
    }
}
