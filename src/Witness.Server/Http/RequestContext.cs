using Microsoft.AspNetCore.Http;
using Witness.Events;

namespace Witness.Server.Http;

/// <summary>The IP, user agent and request id of an HTTP request, for events that Witness records about its own use.</summary>
internal static class RequestContext
{
    public static EventContext Of(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        var agent = context.Request.Headers.UserAgent.ToString();
        return new EventContext
        {
            Ip = ip is null ? null : (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString(),
            UserAgent = agent.Length == 0 ? null : agent[..Math.Min(agent.Length, 1024)],
            RequestId = context.TraceIdentifier,
        };
    }
}
