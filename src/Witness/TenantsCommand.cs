using System.CommandLine;
using Witness.Events;
using Witness.Server.Tenants;
using Witness.Storage;

namespace Witness.Cli;

/// <summary><c>witness tenants list</c> and <c>witness tenants delete TENANT --yes</c>, on the store directly.</summary>
internal static class TenantsCommand
{
    public static Command Create()
    {
        var command = new Command("tenants", "List or delete tenants.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Delete());
        return command;
    }

    private static Command List()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var list = new Command("list", "Print every tenant with a log: name, events, size of its latest checkpoint.") { data, postgres };
        list.SetAction(async (parse, ct) =>
        {
            try
            {
                await using var host = await OpenAsync(parse.GetValue(data)!, parse.GetValue(postgres), ct);
                var store = host.Store;
                foreach (var tenant in await store.ListTenantsAsync(ct))
                {
                    var size = (await store.GetFrontierAsync(tenant, ct))?.Size ?? 0;
                    var checkpoint = await store.LatestCheckpointAsync(tenant, ct);
                    Console.WriteLine($"{tenant}\t{Counted.Of(size, "event")}\t{(checkpoint is null ? "no checkpoint" : $"checkpoint at {checkpoint.Size}")}");
                }

                return 0;
            }
            catch (CliException ex)
            {
                await Console.Error.WriteLineAsync($"witness tenants list: {ex.Message}");
                return ex.ExitCode;
            }
        });
        return list;
    }

    private static Command Delete()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var tenant = new Argument<string>("TENANT") { Description = "The tenant to delete." };
        var yes = new Option<bool>("--yes") { Description = "Confirm: the tenant's events, API keys, console users, settings, rules and webhooks are deleted for good." };
        var delete = new Command("delete",
            "Delete a tenant and everything kept for it; the deletion is recorded in the _platform log. On SQLite, run it with the server stopped " +
            "(or use DELETE /v1/tenants/TENANT?confirm=TENANT on the running server).")
        {
            data, postgres, tenant, yes,
        };
        delete.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(tenant)!;
            try
            {
                if (!EventParser.IsValidTenant(name))
                {
                    throw new CliException("TENANT must be 1–64 characters of A-Z a-z 0-9 . _ -");
                }

                if (name == PlatformLog.Tenant)
                {
                    throw new CliException("the platform log cannot be deleted");
                }

                if (!parse.GetValue(yes))
                {
                    throw new CliException($"deleting tenant '{name}' removes its events, keys, users and settings for good; add --yes to confirm");
                }

                await using var host = await OpenAsync(parse.GetValue(data)!, parse.GetValue(postgres), ct);
                var store = host.Store;
                var removed = await (store as ITenantStore ?? throw new CliException($"the {store.Kind} store cannot delete tenants")).DeleteTenantAsync(name, ct)
                    ?? throw new CliException($"no tenant named '{name}' in this store; `witness tenants list` shows the tenants");
                var actor = new EventActor { Type = ActorTypes.Service, Id = "witness-cli", Name = $"witness tenants delete ({Environment.UserName})" };
                await PlatformLog.RecordTenantDeletedAsync(host.Intake, TimeProvider.System, name, removed, actor, ct);

                Console.WriteLine($"Deleted tenant '{name}': {Counted.Of(removed.Events, "event")}, {Counted.Of(removed.ApiKeys, "API key")}, {Counted.Of(removed.Users, "console user")}. Recorded in the {PlatformLog.Tenant} log.");
                return 0;
            }
            catch (CliException ex)
            {
                await Console.Error.WriteLineAsync($"witness tenants delete: {ex.Message}");
                return ex.ExitCode;
            }
        });
        return delete;
    }

    private static async Task<CommandHost> OpenAsync(string dataDirectory, string? postgres, CancellationToken ct)
    {
        if (postgres is null && !File.Exists(Storage.Sqlite.SqliteStoreOptions.InFolder(dataDirectory).DatabasePath))
        {
            throw new CliException($"no Witness store in '{dataDirectory}' (give --data DIR or --postgres)");
        }

        try
        {
            return await CommandHost.OpenAsync(dataDirectory, postgres, ct);
        }
        catch (InvalidOperationException ex)
        {
            throw new CliException(ex.Message);
        }
    }
}
