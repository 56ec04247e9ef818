using System.Text.Json;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>
/// The OpenAPI description as tools consume it: linted by Redocly, and turned into a TypeScript client
/// (openapi-typescript + openapi-fetch, compiled by tsc --strict) that node runs against a real server.
/// </summary>
public sealed class OpenApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_description_passes_redocly_lint_with_no_errors()
    {
        var folder = TempFolder.Create("openapi");
        try
        {
            var file = Path.Combine(folder, "v1.json");
            using var client = _server.Client();
            await File.WriteAllTextAsync(file, await client.GetStringAsync("/openapi/v1.json"));

            var lint = await TypeScriptClient.RunAsync("node_modules/@redocly/cli/bin/cli.js", null, "lint", file, "--format=summary");

            Assert.True(lint.ExitCode == 0, lint.ToString());
            Assert.Contains("Your API description is valid", lint.Output + lint.Error);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task The_description_names_security_parameters_and_schemas_and_cites_no_file_outside_the_repository()
    {
        using var client = _server.Client();
        var text = await client.GetStringAsync("/openapi/v1.json");
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;

        Assert.DoesNotContain("SPEC", text, StringComparison.Ordinal);
        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("apiKey").GetProperty("scheme").GetString());
        Assert.Equal("witness_console", schemes.GetProperty("consoleSession").GetProperty("name").GetString());

        var search = root.GetProperty("paths").GetProperty("/v1/events").GetProperty("get");
        var parameters = search.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "from", "to", "actor", "action", "category", "type", "outcome", "target", "ip", "q", "limit", "cursor", "tenant" }, parameters);
        Assert.Equal(2, search.GetProperty("security").GetArrayLength());

        var send = root.GetProperty("paths").GetProperty("/v1/events").GetProperty("post");
        Assert.Equal(2, send.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("oneOf").GetArrayLength());
        foreach (var status in new[] { "200", "201" })
        {
            Assert.Equal("#/components/schemas/AppendResponse", send.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        }

        foreach (var status in new[] { "400", "401", "403", "409", "413", "415" })
        {
            Assert.True(send.GetProperty("responses").GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), status);
        }

        Assert.Empty(root.GetProperty("paths").GetProperty("/healthz").GetProperty("get").GetProperty("security").EnumerateArray());
        Assert.True(root.GetProperty("components").GetProperty("schemas").GetProperty("Event").GetProperty("properties").TryGetProperty("hash", out _));
    }

    [Fact]
    public async Task A_typescript_client_generated_from_the_live_description_compiles_strictly_and_sends_searches_pages_and_reads_events()
    {
        var key = await _server.CreateKeyAsync(Some.Tenant(), "events:write", "events:read");
        var url = _server.Address.ToString().TrimEnd('/');

        var generate = await TypeScriptClient.RunAsync("node_modules/openapi-typescript/bin/cli.js", null, $"{url}/openapi/v1.json", "-o", "generated/witness.ts");
        Assert.True(generate.ExitCode == 0, generate.ToString());
        var compile = await TypeScriptClient.RunAsync("node_modules/typescript/bin/tsc", null, "-p", ".", "--strict");
        Assert.True(compile.ExitCode == 0, compile.ToString());

        var run = await TypeScriptClient.RunAsync("dist/src/client.js", new Dictionary<string, string> { ["WITNESS_URL"] = url, ["WITNESS_KEY"] = key });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("sent 5 events, paged 5, read ts-3", run.Output);
    }
}
