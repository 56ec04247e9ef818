using System.CommandLine;
using Witness.Access;

namespace Witness.Cli;

/// <summary><c>witness keys create</c>: makes an API key and prints it once, alone on the last line; <c>list</c> and <c>revoke</c> in <see cref="KeyAdminCommands"/>.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var tenant = new Option<string?>("--tenant") { Description = "Bind the key to this tenant. Leave out for a global key (it must then name a tenant on every read).", HelpName = "TENANT" };
        var scopes = new Option<string[]>("--scopes")
        {
            Description = $"Scopes, separated by spaces or commas: {string.Join(", ", Scopes.All)}.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "SCOPES",
        };
        var name = new Option<string>("--name") { Description = "A label to tell keys apart.", DefaultValueFactory = _ => "api key" };
        var create = new Command("create", "Create an API key. The key is shown once; only its hash is stored.") { data, postgres, tenant, scopes, name };
        create.SetAction(async (parse, ct) =>
        {
            var requested = parse.GetValue(scopes)!.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            string key;
            Storage.ApiKeyRecord record;
            try
            {
                (key, record) = ApiKeys.Create(parse.GetValue(tenant), requested, parse.GetValue(name)!, DateTimeOffset.UtcNow);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"witness keys create: {ex.Message.Split(" (Parameter")[0]}");
                return 2;
            }

            CommandHost opened;
            try
            {
                opened = await CommandHost.OpenAsync(parse.GetValue(data)!, parse.GetValue(postgres), ct);
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"witness keys create: {ex.Message}");
                return 2;
            }

            await using (var host = opened)
            {
                await host.AccessChanges.CreateKeyAsync(record, CommandHost.Actor("keys create"), null, ct);
            }

            Console.WriteLine($"Created {(record.Tenant is null ? "a global key" : $"a key for tenant '{record.Tenant}'")} with scopes {string.Join(' ', record.Scopes)}. Keep it now; it is not shown again:");
            Console.WriteLine(key);
            return 0;
        });

        var command = new Command("keys", "Manage API keys.");
        command.Subcommands.Add(create);
        foreach (var admin in KeyAdminCommands.Create())
        {
            command.Subcommands.Add(admin);
        }

        return command;
    }
}
