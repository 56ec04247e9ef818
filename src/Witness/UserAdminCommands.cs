using System.CommandLine;
using Witness.Access;
using Witness.Server.Auditing;
using Witness.Storage;

namespace Witness.Cli;

/// <summary>
/// <c>witness users list|remove|set-password|set-role</c>. Changes apply on every instance from the
/// user's next request: the server reloads the user on each one, and a new password also ends every
/// session the user had.
/// </summary>
internal static class UserAdminCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return List();
        yield return Remove();
        yield return SetPassword();
        yield return SetRole();
    }

    private static Command List()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var tenant = new Option<string?>("--tenant") { Description = "Only the users of this tenant.", HelpName = "TENANT" };
        var list = new Command("list", "List console users: email, role, tenant (or 'platform'), name, id; one per line, tab-separated.") { data, postgres, tenant };
        list.SetAction((parse, ct) => WithUsersAsync("list", parse.GetValue(data)!, parse.GetValue(postgres), async (_, users) =>
        {
            foreach (var user in await users.ListUsersAsync(parse.GetValue(tenant), ct))
            {
                Console.WriteLine(string.Join('\t', user.Email, user.Role, user.Tenant ?? "platform", user.Name ?? "", user.Id));
            }

            return 0;
        }, ct));
        return list;
    }

    private static Command Remove()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var email = EmailArgument();
        var remove = new Command("remove", "Remove a console user. Their open sessions stop working at once, on every instance.") { email, data, postgres };
        remove.SetAction((parse, ct) => WithUserAsync("remove", parse.GetValue(data)!, parse.GetValue(postgres), parse.GetValue(email)!, async (access, user) =>
        {
            await access.RemoveUserAsync(user, CommandHost.Actor("users remove"), null, ct);
            Console.WriteLine($"Removed {user.Email}.");
            return 0;
        }, ct));
        return remove;
    }

    private static Command SetPassword()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var email = EmailArgument();
        var password = new Option<string>("--password")
        {
            Description = $"The new password, at least {PasswordHash.MinimumPasswordLength} characters. Every open session of the user ends.",
            Required = true,
            HelpName = "PASSWORD",
        };
        var command = new Command("set-password", "Set a console user's password; their open sessions end.") { email, data, postgres, password };
        command.SetAction((parse, ct) => WithUserAsync("set-password", parse.GetValue(data)!, parse.GetValue(postgres), parse.GetValue(email)!, async (access, user) =>
        {
            await access.SetPasswordAsync(user, parse.GetValue(password)!, CommandHost.Actor("users set-password"), null, ct);
            Console.WriteLine($"Set a new password for {user.Email}; their sessions have ended.");
            return 0;
        }, ct));
        return command;
    }

    private static Command SetRole()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var email = EmailArgument();
        var role = new Option<string>("--role")
        {
            Description = "Administrator (everything), Auditor (view and export) or Member (no access to audit logs).",
            Required = true,
            HelpName = "ROLE",
        };
        var command = new Command("set-role", "Change a console user's role; it applies from their next request.") { email, data, postgres, role };
        command.SetAction((parse, ct) => WithUserAsync("set-role", parse.GetValue(data)!, parse.GetValue(postgres), parse.GetValue(email)!, async (access, user) =>
        {
            var changed = await access.SetRoleAsync(user, parse.GetValue(role)!, CommandHost.Actor("users set-role"), null, ct);
            Console.WriteLine($"{changed.Email} is now {changed.Role}.");
            return 0;
        }, ct));
        return command;
    }

    private static Argument<string> EmailArgument() => new("EMAIL") { Description = "The email the user signs in with." };

    private static Task<int> WithUserAsync(string name, string data, string? postgres, string email, Func<AccessChanges, ConsoleUser, Task<int>> work, CancellationToken ct) =>
        WithUsersAsync(name, data, postgres, async (host, users) =>
        {
            var user = await users.FindUserByEmailAsync(email, ct);
            if (user is null)
            {
                await Console.Error.WriteLineAsync($"witness users {name}: no user has the email '{email.Trim()}'");
                return 1;
            }

            return await work(host.AccessChanges, user);
        }, ct);

    private static async Task<int> WithUsersAsync(string name, string data, string? postgres, Func<CommandHost, IUserStore, Task<int>> work, CancellationToken ct)
    {
        CommandHost opened;
        try
        {
            opened = await CommandHost.OpenAsync(data, postgres, ct);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"witness users {name}: {ex.Message}");
            return 2;
        }

        await using var host = opened;
        var store = host.Store;
        if (store is not IUserStore users)
        {
            await Console.Error.WriteLineAsync($"witness users {name}: the {store.Kind} store does not keep console users");
            return 1;
        }

        try
        {
            return await work(host, users);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"witness users {name}: {ex.Message.Split(" (Parameter")[0]}");
            return 2;
        }
    }
}
