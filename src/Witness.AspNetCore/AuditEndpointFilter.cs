using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Witness.Client;

namespace Witness.AspNetCore;

/// <summary>
/// Records one action per call of a minimal API endpoint: outcome <c>success</c>, or <c>failure</c> with a reason when
/// the handler throws (the exception still propagates) or answers 4xx/5xx.
/// </summary>
internal sealed class AuditEndpointFilter(string action, string? targetType, string? targetRouteValue) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        object? result;
        try
        {
            result = await next(context).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            AuditRecorder.Record(context.HttpContext, action, targetType, targetRouteValue, $"{ex.GetType().Name}: {ex.Message}");
            throw;
        }

        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : context.HttpContext.Response.StatusCode;
        AuditRecorder.Record(context.HttpContext, action, targetType, targetRouteValue, status >= 400 ? AuditRecorder.Reason(status) : null);
        return result;
    }
}

/// <summary>
/// Records an MVC action as an audit event: outcome <c>success</c>, or <c>failure</c> with a reason when the action
/// throws or answers 4xx/5xx. The actor and request context come from the current request.
/// </summary>
/// <param name="action">The event's action, such as <c>report.export</c>.</param>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class AuditActionAttribute(string action) : Attribute, IAsyncActionFilter
{
    public string Action { get; } = action;

    /// <summary>The target type; with <see cref="TargetRouteValue"/>, the target is <c>{type, id: route value}</c>.</summary>
    public string? TargetType { get; set; }

    /// <summary>The route value holding the target's id, such as <c>id</c>.</summary>
    public string? TargetRouteValue { get; set; }

    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var executed = await next().ConfigureAwait(false);
        string? reason = null;
        if (executed.Exception is { } ex && !executed.ExceptionHandled)
        {
            reason = $"{ex.GetType().Name}: {ex.Message}";
        }
        else
        {
            var status = executed.Result is IStatusCodeActionResult { StatusCode: { } code } ? code : context.HttpContext.Response.StatusCode;
            reason = status >= 400 ? AuditRecorder.Reason(status) : null;
        }

        AuditRecorder.Record(context.HttpContext, Action, TargetType, TargetRouteValue, reason);
    }
}

internal static class AuditRecorder
{
    public static string Reason(int status) => $"HTTP {status} {ReasonPhrases.GetReasonPhrase(status)}".TrimEnd();

    public static void Record(HttpContext context, string action, string? targetType, string? targetRouteValue, string? failureReason)
    {
        var log = context.RequestServices.GetRequiredService<IAuditLog>();
        var auditEvent = new AuditEvent
        {
            Action = action,
            Outcome = failureReason is null ? "success" : "failure",
            Reason = failureReason,
        };
        if (targetType is not null)
        {
            var id = targetRouteValue is null ? null : context.GetRouteValue(targetRouteValue)?.ToString();
            auditEvent.Targets = [new AuditTarget { Type = targetType, Id = id }];
        }

        log.Record(auditEvent);
    }
}
