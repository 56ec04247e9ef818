using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Witness.Client;

namespace Witness.AspNetCore;

/// <summary>Registers request capture and the endpoint filter.</summary>
public static class WitnessAspNetCoreExtensions
{
    /// <summary>
    /// Makes every event recorded during a request (through <see cref="IAuditLog"/> or the EF Core interceptor) carry the
    /// request's actor, IP, user agent, request id and session id, unless it sets its own. Call
    /// <c>app.UseForwardedHeaders()</c> for trusted proxies so that the IP is the client's.
    /// </summary>
    public static IServiceCollection AddWitnessAspNetCore(this IServiceCollection services, Action<WitnessAspNetCoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WitnessAspNetCoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddHttpContextAccessor();
        services.TryAddSingleton<IAuditContextAccessor, HttpAuditContextAccessor>();
        return services;
    }

    /// <summary>
    /// Records <paramref name="action"/> each time the endpoint runs, as a success, or a failure with the reason when it
    /// throws or answers 4xx/5xx.
    /// </summary>
    /// <param name="builder">The endpoint.</param>
    /// <param name="action">The event's action, such as <c>report.export</c>.</param>
    /// <param name="targetType">The target type, if any.</param>
    /// <param name="targetRouteValue">The route value holding the target's id, such as <c>id</c>.</param>
    public static TBuilder RecordsAudit<TBuilder>(this TBuilder builder, string action, string? targetType = null, string? targetRouteValue = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        return builder.AddEndpointFilter(new AuditEndpointFilter(action, targetType, targetRouteValue));
    }
}
