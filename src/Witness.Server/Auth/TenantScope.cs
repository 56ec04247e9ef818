using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Witness.Events;
using Witness.Server.Apis;
using Witness.Server.Http;

namespace Witness.Server.Auth;

/// <summary>
/// The tenant a request acts on, who acts and from where: what a service needs to apply a change to
/// the tenant and record it in the tenant's log. An API endpoint takes it as a parameter (bound once
/// per request by <see cref="BindAsync"/> with <see cref="TenantAccess"/>'s rules); the console builds
/// one for the signed-in user. A request whose tenant cannot be resolved never reaches the handler:
/// <see cref="TenantScopeExtensions.ResolvesTenant"/> answers it with the refusal.
/// </summary>
public sealed class TenantScope
{
    private readonly (string Tenant, EventActor Actor, EventContext Request)? resolved;

    public TenantScope(string tenant, EventActor actor, EventContext request) => resolved = (tenant, actor, request);

    private TenantScope(IResult refusal) => Refusal = refusal;

    /// <summary>The tenant; throws when the request was refused (a handler reached without <see cref="TenantScopeExtensions.ResolvesTenant"/>).</summary>
    public string Tenant => Resolved.Tenant;

    /// <summary>Who acts: the console user of a session, else the API key.</summary>
    public EventActor Actor => Resolved.Actor;

    /// <summary>The IP, user agent and request id recorded with a change.</summary>
    public EventContext Request => Resolved.Request;

    private (string Tenant, EventActor Actor, EventContext Request) Resolved =>
        resolved ?? throw new InvalidOperationException("the tenant was not resolved: the endpoint lacks ResolvesTenant()");

    /// <summary>The answer to a request whose tenant cannot be resolved (400 without one, 403 for another tenant's), else null.</summary>
    internal IResult? Refusal { get; }

    /// <summary>Called by the framework for every handler parameter of this type.</summary>
    public static ValueTask<TenantScope?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<TenantScope?>(TenantAccess.TryResolve(context, out var tenant, out var error)
            ? new TenantScope(tenant, EventsApi.ApiActor(context), RequestContext.Of(context))
            : new TenantScope(error!));
}

internal static class TenantScopeExtensions
{
    /// <summary>
    /// Answers a request whose <see cref="TenantScope"/> parameter was refused with the refusal, before the handler
    /// runs; endpoints without such a parameter are untouched.
    /// </summary>
    public static TBuilder ResolvesTenant<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(static async (context, next) =>
        {
            foreach (var argument in context.Arguments)
            {
                if (argument is TenantScope { Refusal: { } refusal })
                {
                    return refusal;
                }
            }

            return await next(context);
        });
        return builder;
    }
}
