using System.Net;
using System.Text;
using System.Text.Json;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>Issue 17 item 4: the tenant of a request is resolved once, by binding, before any endpoint acts on it.</summary>
public sealed class TenantScopeTests
{
    [Fact]
    public async Task Every_endpoint_that_acts_on_a_tenant_refuses_a_global_key_without_one_and_a_bound_key_naming_another_and_changes_nothing()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        using var bound = await server.ClientForAsync(tenant);
        using var global = server.Client(await server.CreateKeyAsync(null));
        using var description = JsonDocument.Parse(await bound.GetStringAsync("/openapi/v1.json"));

        var refused = new List<string>();
        foreach (var path in description.RootElement.GetProperty("paths").EnumerateObject())
        {
            // A catalog entry written without a tenant goes to the global layer: that endpoint has its own rule.
            if (path.Name == "/v1/actions/{action}")
            {
                continue;
            }

            foreach (var operation in path.Value.EnumerateObject().Where(o => TakesTenant(o.Value)))
            {
                var url = path.Name.Replace("{id}", "x").Replace("{deliveryId}", "y");
                var method = new HttpMethod(operation.Name.ToUpperInvariant());

                using var withoutTenant = await global.SendAsync(Request(method, url));
                Assert.True(withoutTenant.StatusCode == HttpStatusCode.BadRequest, $"{method} {url} without a tenant: {(int)withoutTenant.StatusCode}");
                var problem = JsonDocument.Parse(await withoutTenant.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal("tenant", problem.GetProperty("errors")[0].GetProperty("field").GetString());

                using var otherTenant = await bound.SendAsync(Request(method, url + "?tenant=someone-else"));
                Assert.True(otherTenant.StatusCode == HttpStatusCode.Forbidden, $"{method} {url} naming another tenant: {(int)otherTenant.StatusCode}");
                Assert.Contains("someone-else", await otherTenant.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                refused.Add($"{operation.Name} {path.Name}");
            }
        }

        Assert.Contains("get /v1/events", refused);
        Assert.Contains("post /v1/alerts/rules", refused);
        Assert.Contains("patch /v1/settings", refused);
        Assert.Contains("post /v1/webhooks", refused);
        var tenants = await server.Store.ListTenantsAsync(CancellationToken.None);
        Assert.DoesNotContain(tenant, tenants);
        Assert.DoesNotContain("someone-else", tenants);
    }

    private static bool TakesTenant(JsonElement operation) =>
        operation.TryGetProperty("parameters", out var parameters) && parameters.EnumerateArray().Any(p => p.GetProperty("name").GetString() == "tenant" && p.GetProperty("in").GetString() == "query");

    /// <summary>A request with a body that would be accepted, so only the tenant can be why it is refused.</summary>
    private static HttpRequestMessage Request(HttpMethod method, string url) =>
        new(method, url) { Content = method == HttpMethod.Get || method == HttpMethod.Delete ? null : new StringContent("{}", Encoding.UTF8, "application/json") };
}
