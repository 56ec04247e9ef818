using System.Text.Json;
using System.Text.Json.Nodes;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Catalog;

/// <summary>Catalog entries as the API takes them, and the calls the catalog tests make.</summary>
internal static class CatalogRequests
{
    public static JsonObject Entry(string template, string category = "Widgets", string type = "activity", string crud = "create", string description = "Create widget") => new()
    {
        ["category"] = category,
        ["type"] = type,
        ["crud"] = crud,
        ["template"] = template,
        ["description"] = description,
    };

    public static Task<HttpResponseMessage> PutActionAsync(this HttpClient client, string action, JsonNode body, string? tenant = null) =>
        client.PutAsync($"/v1/actions/{action}{(tenant is null ? "" : $"?tenant={tenant}")}", Some.Json(body));

    /// <summary>The actions of a catalog listing, by name.</summary>
    public static async Task<Dictionary<string, JsonElement>> ListActionsAsync(this HttpClient client, string query = "")
    {
        var response = await client.GetAsync("/v1/actions" + query);
        response.EnsureSuccessStatusCode();
        var body = await response.JsonAsync();
        return body.GetProperty("actions").EnumerateArray().ToDictionary(a => a.GetProperty("action").GetString()!);
    }

    /// <summary>Sends one event and reads it back as stored.</summary>
    public static async Task<JsonElement> SendAndReadAsync(this HttpClient client, JsonObject e)
    {
        var response = await client.PostAsync(e);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"ingest failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var id = (await response.JsonAsync()).GetProperty("events")[0].GetProperty("id").GetString();
        return await (await client.GetAsync($"/v1/events/{id}")).JsonAsync();
    }

    /// <summary>The field names of a problem response's errors.</summary>
    public static async Task<string[]> ProblemFieldsAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonAsync();
        return [.. body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()!)];
    }
}
