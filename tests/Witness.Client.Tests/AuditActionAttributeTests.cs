using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Witness.AspNetCore;
using Witness.Client.Tests.Support;

namespace Witness.Client.Tests;

/// <summary>
/// <see cref="AuditActionAttribute"/> on a real MVC controller, in an ASP.NET Core app served by Kestrel over loopback,
/// sending through <see cref="IAuditLog"/> to a real <c>witness serve</c>.
/// </summary>
public sealed class AuditActionAttributeTests
{
    private const string UserAgent = "ReportsTest/1.0 (+mvc)";

    [Fact]
    public async Task An_mvc_action_records_success_or_failure_with_the_actor_address_user_agent_and_request_id()
    {
        // What tracing (OpenTelemetry) does in a real app: listen to ASP.NET Core's requests, so each has an Activity
        // continuing the caller's traceparent, and the request id is its trace id.
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(tracing);
        await using var witness = await WitnessServer.CreateAsync();
        await using var app = await StartAppAsync(witness);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);

        var exported = await SendAsync(http, "/reports/r-17/export", "ada@example.com");
        var missing = await SendAsync(http, "/reports/missing/export", "ada@example.com");
        var archived = await SendAsync(http, "/reports/r-18/archive", "bob@example.com");

        Assert.Equal(HttpStatusCode.OK, exported.Status);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(HttpStatusCode.InternalServerError, archived.Status);
        var events = await witness.WaitForEventsAsync(3);
        Assert.Equal(3, events.Count);
        var byTarget = events.ToDictionary(e => e.Targets!.Single().Id!);

        var success = byTarget["r-17"];
        Assert.Equal("report.export", success.Action);
        Assert.Equal("success", success.Outcome);
        Assert.Null(success.Reason);
        Assert.Equal("report", success.Targets!.Single().Type);
        Assert.Equal("user", success.Actor!.Type);
        Assert.Equal("ada@example.com", success.Actor.Id);
        Assert.Equal("ada@example.com", success.Actor.Email);
        Assert.Equal("ada", success.Actor.Name);
        Assert.Equal("127.0.0.1", success.Context!.Ip);
        Assert.Equal(UserAgent, success.Context.UserAgent);
        Assert.Equal(exported.TraceId, success.Context.RequestId);

        var notFound = byTarget["missing"];
        Assert.Equal("report.export", notFound.Action);
        Assert.Equal("failure", notFound.Outcome);
        Assert.Equal("HTTP 404 Not Found", notFound.Reason);
        Assert.Equal(missing.TraceId, notFound.Context!.RequestId);

        var thrown = byTarget["r-18"];
        Assert.Equal("report.archive", thrown.Action);
        Assert.Equal("failure", thrown.Outcome);
        Assert.Equal("InvalidOperationException: Report r-18 is read-only", thrown.Reason);
        Assert.Equal("bob@example.com", thrown.Actor!.Email);
        Assert.Equal(UserAgent, thrown.Context!.UserAgent);
        Assert.Equal(archived.TraceId, thrown.Context.RequestId);
    }

    /// <summary>A POST carrying a fresh W3C trace id, which ASP.NET Core continues as the request's trace.</summary>
    private static async Task<(HttpStatusCode Status, string TraceId)> SendAsync(HttpClient http, string path, string user)
    {
        var traceId = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("X-Test-User", user);
        request.Headers.Add("traceparent", $"00-{traceId}-{Guid.NewGuid().ToString("N")[..16]}-01");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, traceId);
    }

    private static async Task<WebApplication> StartAppAsync(WitnessServer witness)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{ChildProcess.FreePort()}");
        builder.Logging.ClearProviders();
        builder.Services.AddControllers().AddApplicationPart(typeof(ReportsController).Assembly);
        builder.Services.AddWitnessClient(o =>
        {
            o.Endpoint = witness.Address;
            o.ApiKey = witness.ApiKey;
        });
        builder.Services.AddWitnessAspNetCore();
        builder.Services.AddAuthentication(HeaderSignIn.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderSignIn>(HeaderSignIn.SchemeName, null);
        var app = builder.Build();
        app.UseAuthentication();
        app.MapControllers();
        await app.StartAsync();
        return app;
    }
}

/// <summary>The app under test's controller: one action that answers 200 or 404, one that throws.</summary>
[ApiController]
[Route("reports")]
public sealed class ReportsController : ControllerBase
{
    [HttpPost("{id}/export")]
    [AuditAction("report.export", TargetType = "report", TargetRouteValue = "id")]
    public IActionResult Export(string id) => id == "missing" ? NotFound() : Ok(new { id });

    [HttpPost("{id}/archive")]
    [AuditAction("report.archive", TargetType = "report", TargetRouteValue = "id")]
    public IActionResult Archive(string id) => throw new InvalidOperationException($"Report {id} is read-only");
}

/// <summary>The test app's sign-in: the <c>X-Test-User</c> header names the signed-in user's email.</summary>
internal sealed class HeaderSignIn(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "TestHeader";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var email = Request.Headers["X-Test-User"].ToString();
        if (email.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity(
            [new Claim("sub", email), new Claim("email", email), new Claim("name", email[..email.IndexOf('@', StringComparison.Ordinal)])],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
