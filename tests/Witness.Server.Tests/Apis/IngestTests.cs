using System.Net;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

public sealed class IngestTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_accepted_event_is_found_with_every_field_and_the_servers_additions()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        var response = await client.PostAsync(Some.Event(tenant, change: e => e["id"] = "evt-1"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ack = (await response.JsonAsync()).GetProperty("events")[0];
        Assert.Equal("evt-1", ack.GetProperty("id").GetString());
        Assert.Equal(1, ack.GetProperty("seq").GetInt64());

        var stored = await (await client.GetAsync("/v1/events/evt-1")).JsonAsync();
        Assert.Equal(tenant, stored.GetProperty("tenant").GetString());
        Assert.Equal("inbox.create", stored.GetProperty("action").GetString());
        Assert.Equal("Ada Admin", stored.GetProperty("actor").GetProperty("name").GetString());
        Assert.Equal("Milan", stored.GetProperty("context").GetProperty("location").GetProperty("city").GetString());
        Assert.Equal("Help desk", stored.GetProperty("changes").GetProperty("after").GetProperty("name").GetString());
        Assert.Equal(ack.GetProperty("hash").GetString(), stored.GetProperty("hash").GetString());
        Assert.True(stored.TryGetProperty("received_at", out _));
    }
}
