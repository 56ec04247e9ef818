using System.CommandLine;
using Witness.Access;
using Witness.Storage;

namespace Witness.Cli;

/// <summary><c>witness users add</c>: creates a local account of the web console; the rest in <see cref="UserAdminCommands"/>.</summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var email = new Argument<string>("EMAIL") { Description = "The email the user signs in with (unique on this server)." };
        var password = new Option<string>("--password")
        {
            Description = $"The password, at least {PasswordHash.MinimumPasswordLength} characters. Only its PBKDF2-SHA256 hash ({PasswordHash.DefaultIterations:N0} iterations) is stored.",
            Required = true,
            HelpName = "PASSWORD",
        };
        var role = new Option<string>("--role")
        {
            Description = "Administrator (everything), Auditor (view and export) or Member (no access to audit logs).",
            Required = true,
            HelpName = "ROLE",
        };
        var tenant = new Option<string?>("--tenant") { Description = "The tenant whose audit log the user sees.", HelpName = "TENANT" };
        var platform = new Option<bool>("--platform") { Description = "Make a platform administrator instead, who sees and switches between every tenant (needs --role Administrator, no --tenant)." };
        var name = new Option<string?>("--name") { Description = "The name shown in the console and in the log; the email when left out.", HelpName = "NAME" };
        var add = new Command("add", "Add a console user. Give --tenant for a tenant's user, or --platform for a platform administrator.")
        {
            email, data, postgres, password, role, tenant, platform, name,
        };
        add.SetAction(async (parse, ct) =>
        {
            var tenantName = parse.GetValue(tenant);
            if (parse.GetValue(platform) == (tenantName is not null))
            {
                await Console.Error.WriteLineAsync("witness users add: give either --tenant TENANT or --platform");
                return 2;
            }

            ConsoleUser user;
            try
            {
                user = ConsoleUser.Create(parse.GetValue(email)!, parse.GetValue(password)!, parse.GetValue(role)!, tenantName, parse.GetValue(name), DateTimeOffset.UtcNow);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"witness users add: {ex.Message.Split(" (Parameter")[0]}");
                return 2;
            }

            CommandHost opened;
            try
            {
                opened = await CommandHost.OpenAsync(parse.GetValue(data)!, parse.GetValue(postgres), ct);
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"witness users add: {ex.Message}");
                return 2;
            }

            await using var host = opened;
            var store = host.Store;
            if (store is not IUserStore users)
            {
                await Console.Error.WriteLineAsync($"witness users add: the {store.Kind} store does not keep console users");
                return 1;
            }

            if (!await host.AccessChanges.AddUserAsync(user, CommandHost.Actor("users add"), null, ct))
            {
                await Console.Error.WriteLineAsync($"witness users add: a user with the email '{user.Email}' already exists");
                return 1;
            }

            Console.WriteLine(user.Tenant is null
                ? $"Added {user.Email}: platform administrator (all tenants)."
                : $"Added {user.Email}: {user.Role} of tenant '{user.Tenant}'.");
            return 0;
        });

        var command = new Command("users", "Manage the web console's local accounts.");
        command.Subcommands.Add(add);
        foreach (var admin in UserAdminCommands.Create())
        {
            command.Subcommands.Add(admin);
        }

        return command;
    }
}
