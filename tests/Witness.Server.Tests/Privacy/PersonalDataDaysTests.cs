using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Witness.Server.Background;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Privacy;

/// <summary><c>personal_data_days</c> (docs/erasure.md), with a manual clock: personal values older than the setting are erased by the retention service; the events stay.</summary>
public sealed class PersonalDataDaysTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Personal_values_older_than_personal_data_days_are_erased_while_the_events_and_newer_values_stay(string storeKind)
    {
        var clock = new ServerClock(new DateTimeOffset(2024, 3, 1, 9, 0, 0, TimeSpan.Zero));
        await using var database = storeKind == "postgres" ? await PostgresTestDatabase.CreateAsync() : null;
        await using var server = await RunningServer.StartAsync(o =>
        {
            o.Clock = clock;
            o.RetentionInterval = TimeSpan.FromDays(1);
            o.PostgresConnectionString = database?.ConnectionString;
        }, sqliteOnly: database is null);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);

        foreach (var (body, field) in new[] { ("{\"personal_data_days\":0}", "personal_data_days"), ("{\"personal_data_days\":\"30\"}", "personal_data_days"), ("{\"personal_data_days\":3651}", "personal_data_days") })
        {
            var refused = await client.PatchAsync("/v1/settings", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(field, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var set = await (await client.PatchAsync("/v1/settings", Some.Json(new JsonObject { ["personal_data_days"] = 30 }))).JsonAsync();
        Assert.Equal(30, set.GetProperty("personal_data_days").GetInt32());
        Assert.Equal(90, set.GetProperty("retention_days").GetInt32());

        await Some.SendManyAsync(client, tenant, 3, i => Some.Event(tenant, change: e => e["id"] = $"old-{i}"));
        clock.Advance(TimeSpan.FromDays(31));
        await Some.SendManyAsync(client, tenant, 1, i => Some.Event(tenant, change: e => e["id"] = "new-0"));
        await server.Services.GetRequiredService<RetentionService>().RunOnceAsync(CancellationToken.None);

        var old = await (await client.GetAsync("/v1/events/old-1")).JsonAsync();
        Assert.Equal("[erased]", old.GetProperty("actor").GetProperty("email").GetString());
        Assert.Equal("[erased]", old.GetProperty("context").GetProperty("ip").GetString());
        Assert.Equal("inbox.create", old.GetProperty("action").GetString());
        var fresh = await (await client.GetAsync("/v1/events/new-0")).JsonAsync();
        Assert.Equal("user@cognigy.com", fresh.GetProperty("actor").GetProperty("email").GetString());

        var expire = (await (await client.GetAsync("/v1/events?action=privacy.expire")).JsonAsync()).GetProperty("events").EnumerateArray().Single();
        Assert.Equal(30, expire.GetProperty("metadata").GetProperty("personal_data_days").GetInt32());
        Assert.True(expire.GetProperty("metadata").GetProperty("events").GetInt64() >= 3);
        Assert.Contains("older than 30 days", expire.GetProperty("description").GetString(), StringComparison.Ordinal);

        var verify = await (await client.GetAsync("/v1/verify")).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());

        var cleared = await (await client.PatchAsync("/v1/settings", new StringContent("{\"personal_data_days\":null}", System.Text.Encoding.UTF8, "application/json"))).JsonAsync();
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("personal_data_days").ValueKind);
    }
}
