using System.CommandLine;
using System.Globalization;
using Witness.Storage;

namespace Witness.Cli;

/// <summary>
/// <c>witness keys list|revoke</c>. A revoked key stops working at once on every instance: the
/// server looks keys up in the store on every request.
/// </summary>
internal static class KeyAdminCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return List();
        yield return Revoke();
    }

    private static Command List()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var tenant = new Option<string?>("--tenant") { Description = "Only the keys bound to this tenant.", HelpName = "TENANT" };
        var list = new Command("list", "List API keys (never their secrets): id, tenant (or 'global'), scopes, name, created, and 'revoked <time>' or 'active'; tab-separated.")
        {
            data, postgres, tenant,
        };
        list.SetAction((parse, ct) => WithKeysAsync("list", parse.GetValue(data)!, parse.GetValue(postgres), async (_, keys) =>
        {
            foreach (var key in await keys.ListApiKeysAsync(parse.GetValue(tenant), ct))
            {
                var state = key.RevokedAt is { } revoked ? "revoked " + Time(revoked) : "active";
                Console.WriteLine(string.Join('\t', key.KeyId, key.Tenant ?? "global", string.Join(' ', key.Scopes), key.Name, Time(key.CreatedAt), state));
            }

            return 0;
        }, ct));
        return list;
    }

    private static Command Revoke()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var id = new Argument<string>("KEY") { Description = "The key's id (as 'keys list' shows it), or the whole key wk_<id>_<secret>." };
        var revoke = new Command("revoke", "Revoke an API key; it stops working at once on every instance.") { id, data, postgres };
        revoke.SetAction((parse, ct) => WithKeysAsync("revoke", parse.GetValue(data)!, parse.GetValue(postgres), async (host, keys) =>
        {
            var given = parse.GetValue(id)!.Trim();
            var keyId = Access.ApiKeys.TryParse(given, out var parsed, out _) ? parsed : given;
            var key = (await keys.ListApiKeysAsync(null, ct)).FirstOrDefault(k => k.KeyId == keyId && k.RevokedAt is null);
            if (key is null || !await host.AccessChanges.RevokeKeyAsync(key, DateTimeOffset.UtcNow, CommandHost.Actor("keys revoke"), null, ct))
            {
                await Console.Error.WriteLineAsync($"witness keys revoke: no active key has the id '{keyId}'");
                return 1;
            }

            Console.WriteLine($"Revoked key {keyId}.");
            return 0;
        }, ct));
        return revoke;
    }

    private static string Time(DateTimeOffset time) => Witness.Events.Rfc3339.FormatFixed(time);

    private static async Task<int> WithKeysAsync(string name, string data, string? postgres, Func<CommandHost, IApiKeyStore, Task<int>> work, CancellationToken ct)
    {
        CommandHost opened;
        try
        {
            opened = await CommandHost.OpenAsync(data, postgres, ct);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"witness keys {name}: {ex.Message}");
            return 2;
        }

        await using var host = opened;
        var store = host.Store;
        if (store is not IApiKeyStore keys)
        {
            await Console.Error.WriteLineAsync($"witness keys {name}: the {store.Kind} store cannot list or revoke keys");
            return 1;
        }

        return await work(host, keys);
    }
}
