using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Alerts;
using Witness.Server.Auth;
using Witness.Server.Configuration;
using Witness.Server.Http;
using Witness.Server.OpenApi;

namespace Witness.Server.Apis;

/// <summary>A tenant's alert rules: <c>/v1/alerts/rules</c> (admin scope); <see cref="AlertRuleService"/> checks, saves and records them.</summary>
internal static class AlertsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/alerts/rules").WithTags("Alerts").RequireAuthorization(Scopes.Admin).WithTenantParameter().ResolvesTenant();
        group.MapGet("", ListAsync).WithSummary("The tenant's alert rules.").Produces<AlertRuleList>(200);
        group.MapPost("", CreateAsync)
            .WithSummary("Create a rule: kind threshold (threshold, window_minutes, group_by actor|ip), first_seen (dimension ip|country) or match; query in the search language.")
            .Accepts<AlertRuleRequest>("application/json").Produces<AlertRuleResponse>(201).ProducesProblem(400);
        group.MapGet("/{id}", GetAsync).WithSummary("One alert rule.").Produces<AlertRuleResponse>(200).ProducesProblem(404);
        group.MapPut("/{id}", ReplaceAsync).WithSummary("Replace an alert rule; it applies to events that arrive from now on.")
            .Accepts<AlertRuleRequest>("application/json").Produces<AlertRuleResponse>(200).ProducesProblem(400).ProducesProblem(404);
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete an alert rule.").Produces(204).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(HttpContext context, TenantScope scope, AlertRuleService rules)
    {
        var list = await rules.ListAsync(scope.Tenant, context.RequestAborted);
        return Results.Json(new AlertRuleList([.. list.Select(Describe)]), AlertsJson.Api.AlertRuleList);
    }

    private static async Task<IResult> GetAsync(HttpContext context, TenantScope scope, string id, AlertRuleService rules)
    {
        var rule = await rules.FindAsync(scope.Tenant, id, context.RequestAborted);
        return rule is null ? NotFound(scope.Tenant, id) : Results.Json(Describe(rule), AlertsJson.Api.AlertRuleResponse);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, TenantScope scope, AlertRuleService rules)
    {
        var (request, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        return refusal ?? Answer(await rules.CreateAsync(scope, request!, context.RequestAborted), scope.Tenant, "", 201);
    }

    private static async Task<IResult> ReplaceAsync(HttpContext context, TenantScope scope, string id, AlertRuleService rules)
    {
        // An unknown rule is 404 whatever the body says.
        if (await rules.FindAsync(scope.Tenant, id, context.RequestAborted) is null)
        {
            return NotFound(scope.Tenant, id);
        }

        var (request, refusal) = await JsonRequestFields.ReadBodyAsync(context, Read);
        return refusal ?? Answer(await rules.ReplaceAsync(scope, id, request!, context.RequestAborted), scope.Tenant, id, 200);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, TenantScope scope, string id, AlertRuleService rules) =>
        await rules.DeleteAsync(scope, id, context.RequestAborted) is null ? NotFound(scope.Tenant, id) : Results.NoContent();

    private static IResult Answer(ChangeResult<AlertRule> result, string tenant, string id, int status) =>
        result.NotFound ? NotFound(tenant, id)
        : result.Value is { } rule ? Results.Json(Describe(rule), AlertsJson.Api.AlertRuleResponse, statusCode: status)
        : Problems.Invalid(result.Errors);

    private static AlertRuleRequest Read(JsonElement root)
    {
        var fields = new JsonRequestFields(root, AlertRuleService.Fields, nullIsLeftOut: true);
        return new AlertRuleRequest(
            fields.String("name"), fields.String("kind"), fields.String("query"), fields.Int32("threshold"), fields.Int32("window_minutes"),
            fields.String("group_by"), fields.String("dimension"), fields.Boolean("enabled"))
        {
            UnknownFields = fields.Unknown,
            WrongType = fields.WrongType,
        };
    }

    private static IResult NotFound(string tenant, string id) => Problems.NotFound($"No alert rule '{id}' in tenant '{tenant}'.");

    private static AlertRuleResponse Describe(AlertRule r) =>
        new(r.Id, r.Tenant, r.Name, r.Kind, r.Query, r.Threshold, r.WindowMinutes, r.GroupBy, r.Dimension, r.Enabled, r.CreatedAt, r.UpdatedAt);
}

internal sealed record AlertRuleResponse(
    string Id, string Tenant, string Name, string Kind, string Query, int? Threshold, int? WindowMinutes, string? GroupBy, string? Dimension,
    bool Enabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record AlertRuleList(IReadOnlyList<AlertRuleResponse> Rules);
