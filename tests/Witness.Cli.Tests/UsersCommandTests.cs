using Witness.Access;
using Witness.Cli;
using Witness.Server.Console;
using Witness.Storage;
using Witness.Storage.Postgres;
using Witness.Storage.Sqlite;

namespace Witness.Cli.Tests;

public sealed class UsersCommandTests : IAsyncLifetime
{
    private readonly string _data = TempFolder.Create("witness-users");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        TempFolder.Delete(_data);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Users_add_stores_a_slow_hash_of_the_password_and_refuses_a_second_user_with_that_email()
    {
        Assert.Equal(0, await RunAsync("users", "add", "Ada@Acme.example", "--password", "s3cret-passphrase", "--role", "auditor", "--tenant", "acme", "--name", "Ada", "--data", _data));
        Assert.Equal(1, await RunAsync("users", "add", "ada@acme.example", "--password", "another-passphrase", "--role", "Member", "--tenant", "acme", "--data", _data));
        Assert.Equal(0, await RunAsync("users", "add", "root@example.com", "--password", "platform-passphrase", "--role", "Administrator", "--platform", "--data", _data));

        await using var store = new SqliteStore(SqliteStoreOptions.InFolder(_data));
        await store.InitializeAsync(CancellationToken.None);
        var ada = (await store.FindUserByEmailAsync("ADA@acme.example", CancellationToken.None))!;
        Assert.Equal(("ada@acme.example", "Auditor", "acme", "Ada"), (ada.Email, ada.Role, ada.Tenant, ada.Name));
        Assert.True(ada.Password.Iterations >= 600_000);
        Assert.True(ada.Password.Matches("s3cret-passphrase"));
        Assert.False(ada.Password.Matches("another-passphrase"));
        Assert.True((await store.FindUserByEmailAsync("root@example.com", CancellationToken.None))!.IsPlatformAdministrator);
        Assert.Equal(2, await store.CountUsersAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Users_add_with_postgres_stores_the_user_where_every_instance_finds_it()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        Assert.Equal(0, await RunAsync("users", "add", "ada@acme.example", "--password", "s3cret-passphrase", "--role", "Auditor", "--tenant", "acme", "--postgres", database.ConnectionString));
        Assert.Equal(1, await RunAsync("users", "add", "ADA@acme.example", "--password", "s3cret-passphrase", "--role", "Auditor", "--tenant", "acme", "--postgres", database.ConnectionString));

        await using var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = database.ConnectionString });
        await store.InitializeAsync(CancellationToken.None);
        var ada = (await store.FindUserByEmailAsync("ada@acme.example", CancellationToken.None))!;
        Assert.Equal(("Auditor", "acme"), (ada.Role, ada.Tenant));
        Assert.True(ada.Password.Matches("s3cret-passphrase"));
        Assert.Equal(1, await store.CountUsersAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("--role", "Owner", "--tenant", "acme")]
    [InlineData("--role", "Auditor", "--platform", "")]
    [InlineData("--role", "Auditor", "--tenant", "bad tenant!")]
    public async Task Users_add_rejects_a_bad_role_or_tenant_and_stores_nothing(string roleOption, string role, string scopeOption, string scope)
    {
        string[] args = ["users", "add", "x@acme.example", "--password", "long-enough-pw", roleOption, role, scopeOption, .. scope.Length > 0 ? new[] { scope } : [], "--data", _data];
        Assert.Equal(2, await RunAsync(args));
        await using var store = new SqliteStore(SqliteStoreOptions.InFolder(_data));
        await store.InitializeAsync(CancellationToken.None);
        Assert.Equal(0, await store.CountUsersAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Demo_accounts_are_created_once_and_keep_their_passwords()
    {
        await using var store = new SqliteStore(SqliteStoreOptions.InFolder(_data));
        await store.InitializeAsync(CancellationToken.None);
        var first = await DemoUsers.EnsureAsync(store, _data, TimeProvider.System, CancellationToken.None);
        var again = await DemoUsers.EnsureAsync(store, _data, TimeProvider.System, CancellationToken.None);
        Assert.Equal(first, again);
        Assert.Equal([ConsoleRoles.Administrator, ConsoleRoles.Auditor], first.Select(a => a.Role));
        var admin = (await ((IUserStore)store).FindUserByEmailAsync(first[0].Email, CancellationToken.None))!;
        Assert.Equal("demo", admin.Tenant);
        Assert.True(admin.Password.Matches(first[0].Password));
    }

    private static Task<int> RunAsync(params string[] args) => WitnessCli.Build().Parse(args).InvokeAsync();
}
