using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Witness.Access;
using Witness.Server.Auth;
using Witness.Server.Http;

namespace Witness.Server.OpenApi;

/// <summary>
/// The OpenAPI description at <c>/openapi/v1.json</c>, completed from what endpoints already declare:
/// security from <c>RequireAuthorization(scope)</c> / <c>AllowAnonymous()</c> (with the 401 and 403 it
/// implies), 415 for every request body, operation ids from method and route, tag descriptions, the
/// problem+json shape, and the hand-written event schemas of <c>EventSchemas.json</c> (events are
/// written from their stored bytes, so no C# type describes them). An endpoint adds only what is its
/// own: <c>.Produces&lt;T&gt;</c>, <c>.ProducesProblem(status)</c>, <c>.Accepts&lt;T&gt;</c>, or the
/// helpers of <see cref="OpenApiEndpointExtensions"/> for named schemas and query parameters.
/// </summary>
internal static class WitnessOpenApi
{
    /// <summary>The security scheme of <c>Authorization: Bearer wk_…</c>.</summary>
    public const string ApiKeyScheme = "apiKey";

    /// <summary>The security scheme of the console's session cookie, accepted by the <c>events:read</c> endpoints.</summary>
    public const string ConsoleScheme = "consoleSession";

    internal const string UnsupportedMediaType = "The body was not sent as `Content-Type: application/json`.";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Events"] = "Sending, searching, reading and exporting events.",
        ["Integrity"] = "Verification, signed checkpoints, inclusion and consistency proofs, and the signing key.",
        ["Settings"] = "A tenant's retention, legal hold, time zone and strict mode.",
        ["Actions"] = "The action catalog: category, log type and message template per action.",
        ["Alerts"] = "Alert rules evaluated on every new event.",
        ["Webhooks"] = "Signed webhook endpoints and their delivery history.",
        ["Console"] = "Tokens for the embeddable audit-log viewer.",
        ["Operation"] = "Liveness of the server.",
    };

    /// <summary>Registers the document and its transformers; the API's JSON naming (snake_case) is used for generated schemas.</summary>
    public static IServiceCollection AddWitnessOpenApi(this IServiceCollection services)
    {
        // Responses are written with WitnessJson; these options only shape the generated schemas to match.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        return services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                DescribeDocument(document);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                DescribeOperation(operation, context);
                return Task.CompletedTask;
            });
        });
    }

    private static void DescribeDocument(OpenApiDocument document)
    {
        document.Info.Title = "Witness";
        document.Info.Version = "v1";
        document.Info.Description =
            "A multi-tenant, tamper-evident audit log. Authenticate with `Authorization: Bearer <api key>` " +
            "(scopes `events:write`, `events:read`, `admin`); read endpoints also accept a signed-in console session. " +
            "Request bodies are `application/json`; errors are RFC 9457 `application/problem+json` naming the field. " +
            "Times are RFC 3339 in UTC with `Z`, to the microsecond.";
        foreach (var server in document.Servers ?? [])
        {
            if (server.Url is { Length: > 1 } url && url.EndsWith('/'))
            {
                server.Url = url.TrimEnd('/');
            }
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "wk_…",
            Description = "An API key made by `witness keys create`, bound to a tenant or global, with scopes.",
        };
        document.Components.SecuritySchemes[ConsoleScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = ConsoleAuthentication.CookieName,
            Description = "The session of a console user whose role may view audit logs (Administrator, Auditor), for their own tenant.",
        };

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas["ProblemDetails"] = ProblemSchema();
        foreach (var (name, schema) in EventSchemas(document))
        {
            document.Components.Schemas[name] = schema;
        }

        if (document.Components.Schemas.TryGetValue("AppendedId", out var appended) && appended is OpenApiSchema { Properties: { } properties }
            && properties.TryGetValue("status", out var statusSchema) && statusSchema is OpenApiSchema status)
        {
            status.Enum = [JsonValue.Create("created"), JsonValue.Create("existing")];
            status.Description = "`created`: stored by this request; `existing`: already stored with the same body, nothing written.";
        }

        document.Tags ??= new HashSet<OpenApiTag>();
        foreach (var (name, description) in TagDescriptions)
        {
            if (document.Tags.FirstOrDefault(t => t.Name == name) is { } tag)
            {
                tag.Description = description;
            }
            else
            {
                document.Tags.Add(new OpenApiTag { Name = name, Description = description });
            }
        }
    }

    private static void DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        operation.OperationId ??= OperationId(description.HttpMethod ?? "GET", description.RelativePath ?? "");
        operation.Responses ??= new OpenApiResponses();

        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var scopes = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList();
        if (anonymous || scopes.Count == 0)
        {
            operation.Security = [];
        }
        else
        {
            var scope = scopes[^1];
            operation.Security = [Requirement(ApiKeyScheme, context.Document)];
            if (scope == Scopes.EventsRead)
            {
                operation.Security.Add(Requirement(ConsoleScheme, context.Document));
            }

            operation.Description = Join(operation.Description, $"Needs the `{scope}` scope{(scope == Scopes.Admin ? "" : " (or `admin`)")}.");
            AddProblem(operation, 401, "No API key, an unknown one, or an ended console session.");
            AddProblem(operation, 403, "The key lacks the scope named in the problem, or is bound to another tenant.");
        }

        if (operation.RequestBody is not null)
        {
            AddProblem(operation, 415, UnsupportedMediaType);
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (status.StartsWith('4') && response is OpenApiResponse { Content: null or { Count: 0 } } bare)
            {
                bare.Content = ProblemContent(context.Document);
            }
        }
    }

    /// <summary><c>GET /v1/events/{id}/proof</c> → <c>getEventsByIdProof</c>; stable, unique per method and route.</summary>
    internal static string OperationId(string method, string route)
    {
        var id = method.ToLowerInvariant();
        foreach (var segment in route.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "v1"))
        {
            var name = segment.Trim('{', '}').Split(':')[0];
            var words = name.Split('-', '_').Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..]);
            id += (segment.StartsWith('{') ? "By" : "") + string.Concat(words);
        }

        return id;
    }

    internal static void AddProblem(OpenApiOperation operation, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        operation.Responses ??= new OpenApiResponses();
        if (!operation.Responses.ContainsKey(key))
        {
            operation.Responses[key] = new OpenApiResponse { Description = description, Content = ProblemContent(null) };
        }
    }

    private static Dictionary<string, OpenApiMediaType> ProblemContent(OpenApiDocument? document) => new()
    {
        ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
    };

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static string Join(string? first, string second) => string.IsNullOrEmpty(first) ? second : $"{first}\n\n{second}";

    /// <summary>The body every error has (<see cref="ProblemBody"/>).</summary>
    private static OpenApiSchema ProblemSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem. `errors` lists each bad field of a 400 or 409, such as `events[3].actor.email`.",
        Required = new HashSet<string> { "type", "title", "status", "detail", "instance" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The kind of problem, e.g. `Invalid request`, `Missing scope`." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What was wrong, in a sentence naming the field, header or scope." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request path." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "field", "message" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["field"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
        },
    };

    /// <summary>The schemas of <c>EventSchemas.json</c>, by name.</summary>
    private static IEnumerable<(string Name, IOpenApiSchema Schema)> EventSchemas(OpenApiDocument document)
    {
        using var stream = typeof(WitnessOpenApi).Assembly.GetManifestResourceStream("openapi/EventSchemas.json")
            ?? throw new InvalidOperationException("the resource openapi/EventSchemas.json is missing");
        var all = JsonNode.Parse(stream)!.AsObject();
        foreach (var (name, node) in all)
        {
            var schema = OpenApiModelFactory.Parse<OpenApiSchema>(node!.ToJsonString(), OpenApiSpecVersion.OpenApi3_1, document, out var diagnostic, "json");
            if (schema is null || diagnostic?.Errors.Count > 0)
            {
                throw new InvalidOperationException($"openapi/EventSchemas.json: {name}: {string.Join("; ", diagnostic?.Errors.Select(e => e.Message) ?? [])}");
            }

            yield return (name, schema);
        }
    }
}
