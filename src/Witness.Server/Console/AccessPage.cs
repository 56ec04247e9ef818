using Microsoft.AspNetCore.Http;
using Witness.Access;
using Witness.Server.Console.Components;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Users &amp; API keys: the tenant's console users (change a role, set a password, remove)
/// and its API keys (revoke), each change a POST with an anti-forgery token; what it does is what
/// <c>witness users</c> and <c>witness keys</c> do. Drawn by <see cref="AccessView"/>.
/// </summary>
internal static class AccessPage
{
    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IReadOnlyList<ConsoleUser> users, IReadOnlyList<ApiKeyRecord> keys,
        TimeZoneInfo zone, string? error, string? notice, int status) =>
        ConsoleComponents.RenderAsync<AccessView>(context, status, new()
        {
            [nameof(AccessView.Scope)] = scope,
            [nameof(AccessView.Users)] = users,
            [nameof(AccessView.Keys)] = keys,
            [nameof(AccessView.Zone)] = zone,
            [nameof(AccessView.Error)] = error,
            [nameof(AccessView.Notice)] = notice,
        });
}
