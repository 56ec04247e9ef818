using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Witness.Client;

namespace Witness.AspNetCore;

/// <summary>
/// The actor and context of the current HTTP request. The IP is <see cref="ConnectionInfo.RemoteIpAddress"/>, which is
/// the client's address once <c>app.UseForwardedHeaders()</c> has run for trusted proxies; the request id is the W3C
/// trace id when tracing is on, else <see cref="HttpContext.TraceIdentifier"/>. Outside a request both are null.
/// </summary>
internal sealed class HttpAuditContextAccessor(IHttpContextAccessor http, IOptions<WitnessAspNetCoreOptions> options) : IAuditContextAccessor
{
    public AuditActor? Actor => http.HttpContext is { } context ? ActorOf(context, options.Value) : null;

    public AuditContext? Context => http.HttpContext is { } context ? ContextOf(context, options.Value) : null;

    internal static AuditActor? ActorOf(HttpContext context, WitnessAspNetCoreOptions options)
    {
        var user = context.User;
        if (user.Identity is not { IsAuthenticated: true })
        {
            return null;
        }

        string? First(IList<string> types) => types.Select(t => user.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        var email = First(options.EmailClaims);
        return new AuditActor
        {
            Type = options.ActorType,
            Id = First(options.IdClaims) ?? email,
            Name = First(options.NameClaims) ?? user.Identity.Name,
            Email = email,
            Role = First(options.RoleClaims),
        };
    }

    internal static AuditContext ContextOf(HttpContext context, WitnessAspNetCoreOptions options)
    {
        var userAgent = context.Request.Headers.UserAgent.ToString();
        return new AuditContext
        {
            Ip = context.Connection.RemoteIpAddress?.ToString(),
            UserAgent = userAgent.Length == 0 ? null : userAgent,
            RequestId = Activity.Current is { } activity && activity.TraceId != default ? activity.TraceId.ToHexString() : context.TraceIdentifier,
            SessionId = options.SessionId(context),
        };
    }
}
