using System.Globalization;
using System.Text.Json.Nodes;
using Witness.Access;
using Witness.Catalog;
using Witness.Events;
using Witness.Server.Tenants;
using Witness.Storage;

namespace Witness.Server.Auditing;

/// <summary>
/// Every change to who may use a tenant's log (API keys created or revoked, console users added,
/// removed, given a role or a new password), made in the store and recorded in one step, so the
/// CLI (<c>witness keys|users</c>) and the console (Settings › Users &amp; API keys) cannot make one
/// without the other. A tenant's key or user is recorded in the tenant's log; a global key or a
/// platform administrator in the <see cref="PlatformLog"/>. The record carries the actor and the
/// fields before and after, never a password or key secret: a new password shows only as
/// <c>metadata.password_changed</c>.
/// </summary>
internal sealed class AccessChanges(IWitnessStore store, SystemEvents events)
{
    /// <summary>Stores <paramref name="record"/> (made by <see cref="ApiKeys.Create"/>) and records its creation.</summary>
    public async Task CreateKeyAsync(ApiKeyRecord record, EventActor actor, EventContext? request, CancellationToken ct)
    {
        await store.CreateApiKeyAsync(record, ct);
        await RecordKeyAsync(ConfigurationActions.ApiKeyCreate, record, null, Fields(record), actor, request, ct);
    }

    /// <summary>Revokes <paramref name="key"/> as of <paramref name="now"/>; false (and nothing recorded) when it was already revoked or is gone.</summary>
    /// <exception cref="InvalidOperationException">The store keeps no revocable keys.</exception>
    public async Task<bool> RevokeKeyAsync(ApiKeyRecord key, DateTimeOffset now, EventActor actor, EventContext? request, CancellationToken ct)
    {
        var keys = store as IApiKeyStore ?? throw new InvalidOperationException($"the {store.Kind} store cannot revoke keys");
        if (key.RevokedAt is not null || !await keys.RevokeApiKeyAsync(key.KeyId, now, ct))
        {
            return false;
        }

        await RecordKeyAsync(ConfigurationActions.ApiKeyRevoke, key, Fields(key), Fields(key with { RevokedAt = now }), actor, request, ct);
        return true;
    }

    /// <summary>Stores a new console user and records it; false (and nothing recorded) when the email is taken.</summary>
    public async Task<bool> AddUserAsync(ConsoleUser user, EventActor actor, EventContext? request, CancellationToken ct)
    {
        if (!await Users.TryCreateUserAsync(user, ct))
        {
            return false;
        }

        await RecordUserAsync(ConfigurationActions.ConsoleUserCreate, user, null, Fields(user), null, actor, request, ct);
        return true;
    }

    /// <summary>Removes <paramref name="user"/> (their sessions end) and records it.</summary>
    public async Task RemoveUserAsync(ConsoleUser user, EventActor actor, EventContext? request, CancellationToken ct)
    {
        if (await Users.DeleteUserAsync(user.Id, ct))
        {
            await RecordUserAsync(ConfigurationActions.ConsoleUserDelete, user, Fields(user), null, null, actor, request, ct);
        }
    }

    /// <summary>Sets a new password (every session of the user ends) and records that it changed, never the password.</summary>
    /// <exception cref="ArgumentException">The password is too short; nothing is stored or recorded.</exception>
    public async Task SetPasswordAsync(ConsoleUser user, string password, EventActor actor, EventContext? request, CancellationToken ct)
    {
        var changed = user.WithPassword(password);
        if (await Users.UpdateUserAsync(changed, ct))
        {
            var metadata = new JsonObject { ["fields"] = "password", ["password_changed"] = true };
            await RecordUserAsync(ConfigurationActions.ConsoleUserUpdate, user, null, null, metadata, actor, request, ct);
        }
    }

    /// <summary>Gives <paramref name="user"/> another role and records the role before and after; nothing is recorded when it is the same.</summary>
    /// <exception cref="ArgumentException">The role is not one of the console roles; nothing is stored or recorded.</exception>
    public async Task<ConsoleUser> SetRoleAsync(ConsoleUser user, string role, EventActor actor, EventContext? request, CancellationToken ct)
    {
        var changed = user.WithRole(role);
        if (changed.Role != user.Role && await Users.UpdateUserAsync(changed, ct))
        {
            var metadata = new JsonObject { ["fields"] = "role", ["password_changed"] = false };
            await RecordUserAsync(
                ConfigurationActions.ConsoleUserUpdate, user, new JsonObject { ["role"] = user.Role }, new JsonObject { ["role"] = changed.Role }, metadata, actor, request, ct);
        }

        return changed;
    }

    private IUserStore Users => store as IUserStore ?? throw new InvalidOperationException($"the {store.Kind} store does not keep console users");

    private Task RecordKeyAsync(ActionDefinition action, ApiKeyRecord key, JsonObject? before, JsonObject? after, EventActor actor, EventContext? request, CancellationToken ct) =>
        ConfigurationChanges.RecordAsync(
            events, key.Tenant ?? PlatformLog.Tenant, action, new EventTarget { Type = "api_key", Id = key.KeyId, Name = key.Name }, before, after, null, actor, request, ct);

    private Task RecordUserAsync(
        ActionDefinition action, ConsoleUser user, JsonObject? before, JsonObject? after, JsonObject? metadata, EventActor actor, EventContext? request, CancellationToken ct) =>
        ConfigurationChanges.RecordAsync(
            events, user.Tenant ?? PlatformLog.Tenant, action, new EventTarget { Type = "console_user", Id = user.Id, Name = user.Email }, before, after, metadata, actor, request, ct);

    private static JsonObject Fields(ApiKeyRecord key) => new()
    {
        ["tenant"] = key.Tenant,
        ["scopes"] = new JsonArray([.. key.Scopes.Select(s => (JsonNode?)s)]),
        ["name"] = key.Name,
        ["revoked_at"] = key.RevokedAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    private static JsonObject Fields(ConsoleUser user) => new()
    {
        ["email"] = user.Email,
        ["name"] = user.Name,
        ["role"] = user.Role,
        ["tenant"] = user.Tenant,
    };
}
