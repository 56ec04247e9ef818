using System.Net;
using System.Net.Sockets;
using System.Text;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>
/// Issue 15 item 11: at most 4 exports and 2 verifications of one tenant run at once; one more is
/// refused with 429, problem+json and Retry-After, and another tenant is not affected. Over loopback:
/// a verification is held open by a request body that is not finished, an export by a client that does
/// not read its response.
/// </summary>
public sealed class ConcurrencyLimitTests
{
    [Fact]
    public async Task A_third_verification_of_a_tenant_at_once_gets_429_while_another_tenant_verifies()
    {
        await using var server = await RunningServer.StartAsync();
        var busy = Some.Tenant();
        var other = Some.Tenant();
        using var busyClient = await server.ClientForAsync(busy);
        using var otherClient = await server.ClientForAsync(other);
        await Some.SendManyAsync(busyClient, busy, 3);
        await Some.SendManyAsync(otherClient, other, 3);

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<HttpResponseMessage> Hold() => busyClient.PostAsync("/v1/verify", new HeldBody(release.Task));
        var held = Enumerable.Range(0, 2).Select(_ => Hold()).ToList();

        // A held verification that reached the server after one of these probes was itself refused
        // (two were running): it is sent again until two are held at once and the probe is refused.
        var refused = await EventuallyRefusedAsync(() =>
        {
            for (var i = 0; i < held.Count; i++)
            {
                if (held[i].IsCompleted)
                {
                    held[i] = Hold();
                }
            }

            return busyClient.GetAsync("/v1/verify");
        });
        await AssertRefusalAsync(refused, "Too many verifications at once", busy);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await busyClient.PostAsync("/v1/verify", Some.Json(new System.Text.Json.Nodes.JsonObject { ["checkpoints"] = new System.Text.Json.Nodes.JsonArray() }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await otherClient.GetAsync("/v1/verify")).StatusCode);

        release.SetResult();
        foreach (var response in await Task.WhenAll(held))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await busyClient.GetAsync("/v1/verify")).StatusCode);
    }

    [Fact]
    public async Task A_fifth_export_of_a_tenant_at_once_gets_429_while_another_tenant_exports()
    {
        await using var server = await RunningServer.StartAsync();
        var busy = Some.Tenant();
        var other = Some.Tenant();
        using var busyClient = await server.ClientForAsync(busy);
        using var otherClient = await server.ClientForAsync(other);
        // Several megabytes of NDJSON: more than Kestrel's response buffer and the sockets hold, so an
        // export whose reader stops stays running.
        var padding = new string('x', 1500);
        for (var batch = 0; batch < 5; batch++)
        {
            var events = Enumerable.Range(0, 1000).Select(_ => { var e = Some.Event(busy); e["reason"] = padding; return e; });
            Assert.Equal(HttpStatusCode.Created, (await busyClient.PostAsync(Some.Batch(events))).StatusCode);
        }

        await Some.SendManyAsync(otherClient, other, 3);
        var key = busyClient.DefaultRequestHeaders.Authorization!.Parameter!;
        var stalled = new List<(HttpClient Client, HttpResponseMessage Response)>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var client = SlowReader(server, key);
                var response = await client.GetAsync("/v1/events/export?format=ndjson", HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                stalled.Add((client, response));
            }

            var refused = await EventuallyRefusedAsync(() => busyClient.GetAsync("/v1/events/export?format=csv"));
            await AssertRefusalAsync(refused, "Too many exports at once", busy);
            var elsewhere = await otherClient.GetAsync("/v1/events/export?format=csv");
            Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
            Assert.Contains("Time (UTC),", await elsewhere.Content.ReadAsStringAsync());
        }
        finally
        {
            foreach (var (client, response) in stalled)
            {
                response.Dispose();
                client.Dispose();
            }
        }

        // The stopped readers went away: their exports end and the tenant may export again.
        await Eventually.GetValueAsync<bool>(async () =>
        {
            using var again = await busyClient.GetAsync("/v1/events/export?format=csv", HttpCompletionOption.ResponseHeadersRead);
            return again.StatusCode == HttpStatusCode.OK ? true : null;
        }, "an export after the stalled ones ended");
    }

    private static async Task<HttpResponseMessage> EventuallyRefusedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var response = await send();
            if (response.StatusCode == HttpStatusCode.TooManyRequests || DateTime.UtcNow > deadline)
            {
                return response;
            }

            await response.Content.ReadAsByteArrayAsync();
            await Task.Delay(50);
        }
    }

    private static async Task AssertRefusalAsync(HttpResponseMessage refused, string title, string tenant)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.ToString());
        var problem = await refused.JsonAsync();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains(tenant, problem.GetProperty("detail").GetString());
    }

    /// <summary>A client on its own connection with a tiny receive buffer, so a response it does not read stalls the server.</summary>
    private static HttpClient SlowReader(RunningServer server, string key)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A JSON body of outside checkpoints whose end is sent only once the release task completes.</summary>
    private sealed class HeldBody : HttpContent
    {
        private readonly Task _release;

        public HeldBody(Task release)
        {
            _release = release;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"checkpoints\":["));
            await stream.FlushAsync();
            // Whitespace meanwhile, so Kestrel's minimum request body data rate (240 bytes/s after
            // 5 s) does not end the request, and with it the verification it holds, before the release.
            var space = Encoding.UTF8.GetBytes(new string(' ', 64));
            while (!_release.IsCompleted)
            {
                await stream.WriteAsync(space);
                await stream.FlushAsync();
                await Task.WhenAny(_release, Task.Delay(100));
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes("]}"));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
