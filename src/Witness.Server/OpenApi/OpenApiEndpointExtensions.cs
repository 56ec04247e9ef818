using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.OpenApi;

namespace Witness.Server.OpenApi;

/// <summary>A query parameter of an endpoint, for its OpenAPI description.</summary>
/// <param name="Name">The parameter's name in the query string.</param>
/// <param name="Description">What it does and takes.</param>
/// <param name="Type">Its JSON type (<c>string</c> by default).</param>
/// <param name="Format">Its format, such as <c>int32</c>.</param>
/// <param name="Minimum">The smallest number it takes.</param>
/// <param name="Maximum">The largest number it takes.</param>
/// <param name="Default">Its value when left out.</param>
/// <param name="Enum">The only values it takes.</param>
/// <param name="Required">Whether a request must give it.</param>
internal sealed record QueryParameter(
    string Name,
    string Description,
    JsonSchemaType Type = JsonSchemaType.String,
    string? Format = null,
    int? Minimum = null,
    int? Maximum = null,
    JsonNode? Default = null,
    IReadOnlyList<string>? Enum = null,
    bool Required = false);

/// <summary>
/// What an endpoint declares for its OpenAPI description when a C# type cannot say it: bodies of
/// the hand-written schemas in <c>EventSchemas.json</c>, query parameters, and examples.
/// </summary>
internal static class OpenApiEndpointExtensions
{
    /// <summary>
    /// A JSON request body of one of the named component schemas (several make a <c>oneOf</c>),
    /// with an optional example.
    /// </summary>
    public static RouteHandlerBuilder AcceptsSchema(this RouteHandlerBuilder builder, string description, IReadOnlyList<string> schemas, JsonNode? example = null) =>
        builder.AddOpenApiOperationTransformer((operation, context, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = Schema(schemas, context.Document), Example = example?.DeepClone() },
                },
            };
            WitnessOpenApi.AddProblem(operation, 415, WitnessOpenApi.UnsupportedMediaType);
            return Task.CompletedTask;
        });

    /// <summary>A JSON response of the named component schema, with an optional example.</summary>
    public static RouteHandlerBuilder ProducesSchema(this RouteHandlerBuilder builder, int status, string description, string schema, JsonNode? example = null) =>
        builder.AddOpenApiOperationTransformer((operation, context, _) =>
        {
            operation.Responses ??= new OpenApiResponses();
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(schema, context.Document), Example = example?.DeepClone() },
                },
            };
            return Task.CompletedTask;
        });

    /// <summary>Adds an example to the JSON response of <paramref name="status"/> that the endpoint already declares.</summary>
    public static RouteHandlerBuilder WithResponseExample(this RouteHandlerBuilder builder, int status, JsonNode example) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.GetValueOrDefault(status.ToString(System.Globalization.CultureInfo.InvariantCulture)) is OpenApiResponse { Content: { } content }
                && content.TryGetValue("application/json", out var media))
            {
                media.Example = example.DeepClone();
            }

            return Task.CompletedTask;
        });

    /// <summary>Query parameters the handler reads from the query string itself.</summary>
    public static TBuilder WithQueryParameters<TBuilder>(this TBuilder builder, params QueryParameter[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var p in parameters)
            {
                if (operation.Parameters.Any(existing => existing.Name == p.Name && existing.In == ParameterLocation.Query))
                {
                    continue;
                }

                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = p.Name,
                    In = ParameterLocation.Query,
                    Required = p.Required,
                    Description = p.Description,
                    Schema = new OpenApiSchema
                    {
                        Type = p.Type,
                        Format = p.Format,
                        Minimum = p.Minimum?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        Maximum = p.Maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        Default = p.Default?.DeepClone(),
                        Enum = p.Enum?.Select(v => (JsonNode)JsonValue.Create(v)).ToList(),
                    },
                });
            }

            return Task.CompletedTask;
        });

    /// <summary>
    /// The <c>tenant</c> query parameter of an endpoint that reads or changes a tenant's data
    /// (required with a global key; a tenant-bound key may leave it out or name its own tenant).
    /// </summary>
    public static TBuilder WithTenantParameter<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithQueryParameters(TenantParameter);

    public static readonly QueryParameter TenantParameter = new(
        "tenant", "The tenant to act on: required with a global API key; a tenant-bound key may leave it out or name its own tenant.");

    private static IOpenApiSchema Schema(IReadOnlyList<string> names, OpenApiDocument? document) =>
        names.Count == 1
            ? new OpenApiSchemaReference(names[0], document)
            : new OpenApiSchema { OneOf = [.. names.Select(n => (IOpenApiSchema)new OpenApiSchemaReference(n, document))] };
}
