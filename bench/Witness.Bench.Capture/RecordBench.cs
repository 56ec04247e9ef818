using System.Net;
using System.Reflection;
using System.Security.Claims;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Witness.AspNetCore;
using Witness.Client;

namespace Witness.Bench.Capture;

/// <summary>
/// <see cref="IAuditLog.Record"/> as a request handler calls it. The sender's background loop is not started: each
/// invocation takes the recorded event back off the sender's queue (read through reflection), so the queue never fills
/// and every call takes the accepting path; that read is counted in the figure. "in a request" adds what
/// Witness.AspNetCore fills in from the current <see cref="HttpContext"/> (actor from claims, IP, user agent, request id).
/// The baseline only builds the event, so the allocation beyond the event is the difference between the rows.
/// </summary>
public class RecordBench
{
    private ServiceProvider _bareServices = null!;
    private ServiceProvider _requestServices = null!;
    private IAuditLog _bare = null!;
    private IAuditLog _inRequest = null!;
    private ChannelReader<AuditEvent> _bareQueue = null!;
    private ChannelReader<AuditEvent> _requestQueue = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        (_bareServices, _bare, _bareQueue) = Build(request: false);
        (_requestServices, _inRequest, _requestQueue) = Build(request: true);
        if (!_inRequest.Record(NewEvent()) || !_requestQueue.TryRead(out var probe) || probe.Actor?.Email is null || probe.Context?.Ip is null)
        {
            throw new InvalidOperationException("The request-path log did not fill the actor and context in.");
        }
    }

    [Benchmark(Baseline = true, Description = "new AuditEvent (baseline)")]
    public AuditEvent Event() => NewEvent();

    [Benchmark(Description = "Record")]
    public bool Record()
    {
        var accepted = _bare.Record(NewEvent());
        _bareQueue.TryRead(out _);
        return accepted;
    }

    [Benchmark(Description = "Record in a request (Witness.AspNetCore)")]
    public bool RecordInRequest()
    {
        var accepted = _inRequest.Record(NewEvent());
        _requestQueue.TryRead(out _);
        return accepted;
    }

    private AuditEvent NewEvent() => new()
    {
        Action = "report.export",
        Targets = [new AuditTarget { Type = "report", Id = (++_next & 1) == 0 ? "r-17" : "r-18" }],
    };

    private static (ServiceProvider, IAuditLog, ChannelReader<AuditEvent>) Build(bool request)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWitnessClient(o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9");
            o.ApiKey = "wk_bench";
        });
        if (request)
        {
            services.AddSingleton<IHttpContextAccessor>(new FixedHttpContext(SignedInRequest()));
            services.AddWitnessAspNetCore();
        }

        var provider = services.BuildServiceProvider();
        var log = provider.GetRequiredService<IAuditLog>();
        var queue = (Channel<AuditEvent>)log.GetType().GetField("_queue", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(log)!;
        return (provider, log, queue.Reader);
    }

    private static DefaultHttpContext SignedInRequest()
    {
        var context = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim("sub", "u_417"), new Claim("email", "ada@example.com"), new Claim("name", "Ada"), new Claim("role", "Administrator")],
                "Cookies")),
            TraceIdentifier = "0HNQIPFF0J4K0:00000001",
        };
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        context.Request.Headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0";
        return context;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bareServices.Dispose();
        _requestServices.Dispose();
    }

    private sealed class FixedHttpContext(HttpContext context) : IHttpContextAccessor
    {
        public HttpContext? HttpContext { get; set; } = context;
    }
}
