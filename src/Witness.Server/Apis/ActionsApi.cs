using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Witness.Access;
using Witness.Catalog;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Catalog;
using Witness.Server.Http;
using Witness.Server.Tenants;
using Witness.Storage;

namespace Witness.Server.Apis;

/// <summary>
/// The action catalog: <c>/v1/actions</c>. Reading shows a tenant's merged catalog (its
/// own entries over the global ones) or one layer; writing needs <c>admin</c> and goes to the
/// caller's tenant layer, or for a global key to the global layer unless <c>?tenant=</c> names one.
/// A tenant-bound key never reads or writes another tenant's layer. Entries are catalog data only:
/// deleting one never touches an event.
/// </summary>
internal static class ActionsApi
{
    private const string TenantLayer = "tenant";
    private const string GlobalLayer = "global";
    private const string MergedLayer = "merged";
    private static readonly string[] BodyFields = ["action", "category", "type", "crud", "template", "description", "personal"];

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/actions").WithTags("Actions");
        group.MapGet("", ListAsync).RequireAuthorization(Scopes.EventsRead)
            .WithSummary("The tenant's action catalog: its own entries over the global ones, or one layer with ?layer=tenant|global.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                AddQuery(operation, "layer", "merged (default): what the tenant sees; tenant: only its own entries; global: only the global layer (no tenant needed).");
                AddQuery(operation, "tenant", "The tenant, required with a global key unless layer=global; a tenant-bound key may only name its own.");
                return Task.CompletedTask;
            })
            .Produces<ActionListResponse>(200).ProducesProblem(400).ProducesProblem(403);
        group.MapGet("/facets", FacetsAsync).RequireAuthorization(Scopes.EventsRead).ResolvesTenant()
            .WithSummary("The categories, log types, action types (crud) and actions present in the tenant's events or catalog, for filter menus.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                AddQuery(operation, "tenant", "The tenant, required with a global key; a tenant-bound key may only name its own.");
                return Task.CompletedTask;
            })
            .Produces<FacetsResponse>(200).ProducesProblem(400).ProducesProblem(403);
        group.MapPut("/{action}", PutAsync).RequireAuthorization(Scopes.Admin)
            .WithSummary("Add or replace a catalog entry: 201 when the layer had none, 200 when it replaced one. Errors name the field.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                AddQuery(operation, "tenant", WriteTenantHelp);
                return Task.CompletedTask;
            })
            .Accepts<ActionRequest>("application/json")
            .Produces<ActionResponse>(200).Produces<ActionResponse>(201).ProducesProblem(400).ProducesProblem(403);
        group.MapDelete("/{action}", DeleteAsync).RequireAuthorization(Scopes.Admin)
            .WithSummary("Remove a catalog entry from one layer (never an event); a global or built-in entry it overrode shows again. 404 when the layer has none.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                AddQuery(operation, "tenant", WriteTenantHelp);
                return Task.CompletedTask;
            })
            .Produces(204).ProducesProblem(400).ProducesProblem(403).ProducesProblem(404);
    }

    private const string WriteTenantHelp =
        "With a global key: the tenant whose layer to write; left out, the global layer. A tenant-bound key always writes its own layer and may only name its own tenant.";

    private static IResult ListAsync(HttpContext context, ActionCatalog catalog)
    {
        var layer = context.Request.Query["layer"].ToString();
        if (layer.Length == 0)
        {
            layer = MergedLayer;
        }

        if (layer is not (MergedLayer or TenantLayer or GlobalLayer))
        {
            return Problems.Invalid("layer", "must be merged, tenant or global");
        }

        if (layer == GlobalLayer && Caller.From(context.User).Tenant is null && context.Request.Query["tenant"].Count == 0)
        {
            return Describe(null, layer, catalog.ListLayer(null), []);
        }

        if (!TenantAccess.TryResolve(context, out var tenant, out var error))
        {
            return error!;
        }

        var own = catalog.ListLayer(tenant);
        var entries = layer switch
        {
            GlobalLayer => catalog.ListLayer(null),
            TenantLayer => own,
            _ => catalog.List(tenant),
        };
        return Describe(tenant, layer, entries, own);
    }

    private static async Task<IResult> FacetsAsync(HttpContext context, TenantScope scope, ActionCatalog catalog, IWitnessStore store)
    {
        var tenant = scope.Tenant;
        var data = store is IFacetStore facets ? await facets.ListFacetsAsync(tenant, context.RequestAborted) : EventFacets.Empty;
        var known = catalog.List(tenant).ToDictionary(d => d.Action, StringComparer.Ordinal);
        var inData = data.Actions.ToHashSet(StringComparer.Ordinal);
        var actions = known.Keys.Union(data.Actions).Order(StringComparer.Ordinal)
            .Select(action => known.TryGetValue(action, out var d)
                ? new FacetAction(action, d.Description, d.Category, d.Type, d.Crud, InCatalog: true, InData: inData.Contains(action))
                : new FacetAction(action, null, null, null, null, InCatalog: false, InData: true))
            .ToList();
        return Results.Json(
            new FacetsResponse(
                tenant,
                Sorted(data.Categories.Concat(known.Values.Select(d => d.Category))),
                Sorted(data.Types.Concat(known.Values.Select(d => d.Type))),
                [.. CrudOperations.All.Where(c => known.Values.Any(d => d.Crud == c))],
                actions),
            WitnessJson.Api.FacetsResponse);
    }

    private static async Task<IResult> PutAsync(HttpContext context, string action, ActionCatalog catalog, CatalogSync sync, SystemEvents events)
    {
        if (!TryResolveWriteLayer(context, out var tenant, out var error))
        {
            return error!;
        }

        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Problems.Invalid("body", $"not valid JSON: {ex.Message}");
        }

        ActionDefinition definition;
        using (doc)
        {
            if (JsonUnicode.FindInvalidText(doc.RootElement) is { } notText)
            {
                return Problems.Invalid(notText, JsonUnicode.Message);
            }

            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Problems.Invalid("body", "expected a JSON object with category, type, crud, template and description");
            }

            var errors = new List<ValidationError>();
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            var personal = new List<string>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!BodyFields.Contains(property.Name, StringComparer.Ordinal))
                {
                    errors.Add(new(property.Name, $"unknown field; the fields are {string.Join(", ", BodyFields[1..])}"));
                }
                else if (property.Name == "personal")
                {
                    ReadPersonal(property.Value, personal, errors);
                }
                else if (property.Value.ValueKind == JsonValueKind.String)
                {
                    values[property.Name] = property.Value.GetString();
                }
                else if (property.Value.ValueKind != JsonValueKind.Null)
                {
                    errors.Add(new(property.Name, "must be a string"));
                }
            }

            if (values.TryGetValue("action", out var named) && named != action)
            {
                errors.Add(new("action", $"is '{named}' in the body but '{action}' in the path; leave it out or make them equal"));
            }

            definition = new ActionDefinition(action, Value("category"), Value("type"), Value("crud"), Value("template"), Value("description")) { Personal = personal };
            var reported = errors.Select(e => e.Field).ToHashSet(StringComparer.Ordinal);
            errors.AddRange(definition.Validate().Where(e => !reported.Contains(e.Field)));
            if (errors.Count > 0)
            {
                return Problems.Invalid(errors);
            }

            string Value(string field) => values.GetValueOrDefault(field)!;
        }

        var before = catalog.Find(tenant ?? PlatformLog.Tenant, action);
        var created = await sync.SetAsync(tenant, definition, context.RequestAborted);
        await RecordAsync(context, tenant, action, before, created ? ConfigurationActions.CatalogCreate : ConfigurationActions.CatalogUpdate, catalog, events);
        return Results.Json(ToResponse(definition, tenant is null ? GlobalLayer : TenantLayer), WitnessJson.Api.ActionResponse, statusCode: created ? 201 : 200);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string action, ActionCatalog catalog, CatalogSync sync, SystemEvents events)
    {
        if (!TryResolveWriteLayer(context, out var tenant, out var error))
        {
            return error!;
        }

        var before = catalog.Find(tenant ?? PlatformLog.Tenant, action);
        if (await sync.RemoveAsync(tenant, action, context.RequestAborted))
        {
            await RecordAsync(context, tenant, action, before, ConfigurationActions.CatalogDelete, catalog, events);
            return Results.NoContent();
        }

        return Problems.NotFound(tenant is null
                ? $"The global layer has no stored entry for '{action}' (built-in actions cannot be removed)."
                : $"Tenant '{tenant}' has no entry of its own for '{action}'.");
    }

    /// <summary><c>personal</c>: a list of path strings (<see cref="PersonalPaths"/>), or null for none.</summary>
    private static void ReadPersonal(JsonElement value, List<string> personal, List<ValidationError> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new("personal", $"must be a list of paths: {PersonalPaths.Grammar}"));
            return;
        }

        var i = 0;
        foreach (var path in value.EnumerateArray())
        {
            if (path.ValueKind == JsonValueKind.String)
            {
                personal.Add(path.GetString()!);
            }
            else
            {
                // Kept in place (and refused here, not again by the definition) so later paths keep their index.
                personal.Add("");
                errors.Add(new($"personal[{i}]", "must be a string"));
            }

            i++;
        }
    }

    /// <summary>
    /// A change to a tenant's layer goes into the tenant's log, with the entry its events rendered with
    /// before and after; a change to the global layer goes into the platform log, with the global entry
    /// (stored or built-in) before and after.
    /// </summary>
    private static Task RecordAsync(HttpContext context, string? tenant, string action, ActionDefinition? before, ActionDefinition change, ActionCatalog catalog, SystemEvents events)
    {
        var log = tenant ?? PlatformLog.Tenant;
        return ConfigurationChanges.CatalogAsync(
            events, log, change, action, before, catalog.Find(log, action), EventsApi.ApiActor(context), RequestContext.Of(context), context.RequestAborted);
    }

    /// <summary>
    /// The layer a write goes to: a bound key's tenant (naming another is 403); for a global key the
    /// <c>tenant</c> query parameter when given, else the global layer (null).
    /// </summary>
    private static bool TryResolveWriteLayer(HttpContext context, out string? tenant, out IResult? error)
    {
        var caller = Caller.From(context.User);
        tenant = null;
        error = null;
        if (caller.Tenant is not null || context.Request.Query["tenant"].Count > 0)
        {
            if (!TenantAccess.TryResolve(context, out var resolved, out error))
            {
                return false;
            }

            tenant = resolved;
        }

        return true;
    }

    private static IResult Describe(string? tenant, string layer, IReadOnlyList<ActionDefinition> entries, IReadOnlyList<ActionDefinition> own)
    {
        var ownActions = own.Select(d => d.Action).ToHashSet(StringComparer.Ordinal);
        return Results.Json(
            new ActionListResponse(tenant, layer, [.. entries.Select(d => ToResponse(d, layer == GlobalLayer || !ownActions.Contains(d.Action) ? GlobalLayer : TenantLayer))]),
            WitnessJson.Api.ActionListResponse);
    }

    private static ActionResponse ToResponse(ActionDefinition d, string layer) =>
        new(d.Action, d.Category, d.Type, d.Crud, d.Template, d.Description, layer) { Personal = d.Personal };

    private static List<string> Sorted(IEnumerable<string> values) => [.. values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    private static void AddQuery(OpenApiOperation operation, string name, string description)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Query,
            Required = false,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
    }
}

/// <summary>The body of <c>PUT /v1/actions/{action}</c>; <c>action</c> may be left out (the path names it).</summary>
/// <param name="Category">The category filled into events that leave it out, e.g. <c>Inboxes</c>.</param>
/// <param name="Type">The log type filled in: activity, access, webhook_failure or integration_failure.</param>
/// <param name="Crud">create, read, update, delete or other.</param>
/// <param name="Template">The message template, e.g. <c>Created a new inbox (#{{target.id}})</c>.</param>
/// <param name="Description">The short label of the action in filter menus, e.g. <c>Create inbox</c>.</param>
internal sealed record ActionRequest(string Category, string Type, string Crud, string Template, string Description)
{
    /// <summary>
    /// Optional: paths of this action's events that hold personal values (docs/erasure.md): <c>targets[].name</c>,
    /// <c>metadata[.key…]</c>, <c>changes.before[.key…]</c>, <c>changes.after[.key…]</c>. Every string at or under
    /// them enters the leaf as a salted commitment and is erased with the subject. At most 16.
    /// </summary>
    public IReadOnlyList<string>? Personal { get; init; }
}

/// <summary>A catalog entry and the layer it comes from (<c>tenant</c> or <c>global</c>).</summary>
internal sealed record ActionResponse(string Action, string Category, string Type, string Crud, string Template, string Description, string Layer)
{
    /// <summary>The paths the entry marks personal (empty when none).</summary>
    public IReadOnlyList<string> Personal { get; init; } = [];
}

/// <summary>A catalog listing: <c>layer</c> is merged, tenant or global; <c>tenant</c> is null for the global layer read with a global key.</summary>
internal sealed record ActionListResponse(string? Tenant, string Layer, IReadOnlyList<ActionResponse> Actions);

/// <summary>Filter-menu values for a tenant: present in its events or its merged catalog, each list sorted.</summary>
internal sealed record FacetsResponse(string Tenant, IReadOnlyList<string> Categories, IReadOnlyList<string> Types, IReadOnlyList<string> Crud, IReadOnlyList<FacetAction> Actions);

/// <summary>An action for the filter menus; the catalog fields are null for an action only seen in events.</summary>
internal sealed record FacetAction(string Action, string? Description, string? Category, string? Type, string? Crud, bool InCatalog, bool InData);
