using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Witness.Server.Tests.Support;

/// <summary>
/// A real HTTP endpoint on a free loopback port that records every request (headers and the raw
/// body) and answers with the status <see cref="Respond"/> picks for the n-th request (0-based).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>The status answered to the n-th request; 204 unless a test says otherwise.</summary>
    public Func<int, int> Respond { get; set; } = _ => 204;

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var index = receiver._requests.Count;
            receiver._requests.Enqueue(new ReceivedRequest(context.Request.Path, headers, body.ToArray()));
            receiver._arrived.Release();
            return Results.StatusCode(receiver.Respond(index));
        });
        app.MapGet("/{**path}", (HttpContext context) =>
        {
            receiver._requests.Enqueue(new ReceivedRequest(context.Request.Path, new Dictionary<string, string>(), []));
            receiver._arrived.Release();
            return Results.Ok();
        });
        await app.StartAsync();
        receiver.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return receiver;
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived (fails the test after a minute).</summary>
    public async Task WaitForAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (_requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"the receiver got {_requests.Count} requests, expected {count}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);
