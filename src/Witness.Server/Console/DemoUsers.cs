using System.Security.Cryptography;
using Witness.Access;
using Witness.Server.Demo;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// The console accounts of <c>serve --demo</c>: an Administrator and an Auditor of the demo tenant.
/// Their random passwords are kept in the data folder (readable by its owner only), so every demo
/// start prints the same credentials.
/// </summary>
internal static class DemoUsers
{
    public const string FileName = "demo-console-users";

    /// <summary>One demo account, with the password to print.</summary>
    public sealed record Account(string Email, string Password, string Role);

    /// <summary>Creates the demo accounts that do not exist yet and returns all of them.</summary>
    public static async Task<IReadOnlyList<Account>> EnsureAsync(IUserStore users, string dataDirectory, TimeProvider clock, CancellationToken ct)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var accounts = File.Exists(path)
            ? (await File.ReadAllLinesAsync(path, ct)).Select(l => l.Split(' ')).Where(p => p.Length == 3).Select(p => new Account(p[0], p[1], p[2])).ToList()
            : [];
        if (accounts.Count == 0)
        {
            accounts =
            [
                new Account($"admin@{DemoData.Tenant}.example", NewPassword(), ConsoleRoles.Administrator),
                new Account($"auditor@{DemoData.Tenant}.example", NewPassword(), ConsoleRoles.Auditor),
            ];
            await File.WriteAllLinesAsync(path, accounts.Select(a => $"{a.Email} {a.Password} {a.Role}"), ct);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        foreach (var account in accounts)
        {
            if (await users.FindUserByEmailAsync(account.Email, ct) is null)
            {
                var name = account.Role == ConsoleRoles.Administrator ? "Demo Administrator" : "Demo Auditor";
                await users.TryCreateUserAsync(ConsoleUser.Create(account.Email, account.Password, account.Role, DemoData.Tenant, name, clock.GetUtcNow()), ct);
            }
        }

        return accounts;
    }

    private static string NewPassword() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('+', 'x').Replace('/', 'y');
}
