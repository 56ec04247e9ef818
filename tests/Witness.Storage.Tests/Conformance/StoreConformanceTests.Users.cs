using System.Security.Cryptography;
using Witness.Access;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task A_user_is_found_by_id_and_by_email_in_any_case_and_an_email_is_taken_once()
    {
        await using var store = await OpenStoreAsync();
        var users = (IUserStore)store;
        var email = $"ada.{Guid.NewGuid():N}@example.com";
        var ada = User(email, "Ada Admin", Submit.Tenant(), ConsoleRoles.Auditor);
        var platform = User($"root.{Guid.NewGuid():N}@example.com", null, null, ConsoleRoles.Administrator);
        var countBefore = await users.CountUsersAsync(CancellationToken.None);

        Assert.True(await users.TryCreateUserAsync(ada, CancellationToken.None));
        Assert.True(await users.TryCreateUserAsync(platform, CancellationToken.None));
        Assert.False(await users.TryCreateUserAsync(User(email.ToUpperInvariant(), "Impostor", Submit.Tenant(), ConsoleRoles.Administrator), CancellationToken.None));

        Assert.Equal(countBefore + 2, await users.CountUsersAsync(CancellationToken.None));
        var byEmail = await users.FindUserByEmailAsync($"  {email.ToUpperInvariant()} ", CancellationToken.None);
        AssertSameUser(ada, byEmail);
        AssertSameUser(ada, await users.FindUserAsync(ada.Id, CancellationToken.None));
        AssertSameUser(platform, await users.FindUserAsync(platform.Id, CancellationToken.None));
        Assert.True((await users.FindUserAsync(platform.Id, CancellationToken.None))!.IsPlatformAdministrator);
        Assert.Null(await users.FindUserByEmailAsync("nobody@example.com", CancellationToken.None));
        Assert.Null(await users.FindUserAsync("usr_missing", CancellationToken.None));
    }

    // A made-up hash: the store keeps bytes, and real PBKDF2 would cost a second per user.
    private static ConsoleUser User(string email, string? name, string? tenant, string role) =>
        new("usr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), email, name, tenant, role,
            new PasswordHash(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(32), PasswordHash.DefaultIterations),
            new DateTimeOffset(2025, 6, 1, 8, 0, 0, 250, TimeSpan.Zero));

    private static void AssertSameUser(ConsoleUser expected, ConsoleUser? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.Id, expected.Email.ToLowerInvariant(), expected.Name, expected.Tenant, expected.Role, expected.CreatedAt), (actual.Id, actual.Email, actual.Name, actual.Tenant, actual.Role, actual.CreatedAt));
        Assert.Equal(expected.Password.Salt, actual.Password.Salt);
        Assert.Equal(expected.Password.Hash, actual.Password.Hash);
        Assert.Equal(expected.Password.Iterations, actual.Password.Iterations);
    }
}
