using System.Security.Cryptography;
using Witness.Access;
using Witness.Ingest;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task A_revoked_key_is_listed_as_revoked_and_never_found_again()
    {
        await using var store = await OpenStoreAsync();
        var keys = (IApiKeyStore)store;
        var tenant = Submit.Tenant();
        var (_, bound) = ApiKeys.Create(tenant, [Scopes.EventsRead], "reporting", Submit.Now);
        var (_, other) = ApiKeys.Create(Submit.Tenant(), [Scopes.EventsWrite], "other", Submit.Now);
        await store.CreateApiKeyAsync(bound, CancellationToken.None);
        await store.CreateApiKeyAsync(other, CancellationToken.None);

        Assert.True(await keys.RevokeApiKeyAsync(bound.KeyId, Submit.Now.AddMinutes(5), CancellationToken.None));
        Assert.False(await keys.RevokeApiKeyAsync(bound.KeyId, Submit.Now.AddMinutes(6), CancellationToken.None));
        Assert.False(await keys.RevokeApiKeyAsync("nosuchkey000", Submit.Now, CancellationToken.None));

        Assert.Null(await store.FindApiKeyAsync(bound.KeyId, CancellationToken.None));
        Assert.NotNull(await store.FindApiKeyAsync(other.KeyId, CancellationToken.None));
        var listed = Assert.Single(await keys.ListApiKeysAsync(tenant, CancellationToken.None));
        Assert.Equal((bound.KeyId, "reporting", Submit.Now.AddMinutes(5)), (listed.KeyId, listed.Name, listed.RevokedAt));
        var all = await keys.ListApiKeysAsync(null, CancellationToken.None);
        Assert.Contains(all, k => k.KeyId == other.KeyId && k.RevokedAt is null);
    }

    [Fact]
    public async Task Users_are_listed_by_tenant_updated_with_their_session_stamp_and_removed()
    {
        await using var store = await OpenStoreAsync();
        var users = (IUserStore)store;
        var tenant = Submit.Tenant();
        var ada = User($"ada.{Guid.NewGuid():N}@example.com", "Ada", tenant, ConsoleRoles.Auditor) with { SessionStamp = "first" };
        var bob = User($"bob.{Guid.NewGuid():N}@example.com", null, tenant, ConsoleRoles.Member);
        Assert.True(await users.TryCreateUserAsync(ada, CancellationToken.None));
        Assert.True(await users.TryCreateUserAsync(bob, CancellationToken.None));
        Assert.Equal([ada.Email, bob.Email], (await users.ListUsersAsync(tenant, CancellationToken.None)).Select(u => u.Email));
        Assert.Equal("first", (await users.FindUserAsync(ada.Id, CancellationToken.None))!.SessionStamp);

        var changed = ada with { Role = ConsoleRoles.Administrator, SessionStamp = "second", Password = new PasswordHash(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(32), PasswordHash.DefaultIterations) };
        Assert.True(await users.UpdateUserAsync(changed, CancellationToken.None));
        var stored = (await users.FindUserByEmailAsync(ada.Email, CancellationToken.None))!;
        Assert.Equal((ConsoleRoles.Administrator, "second"), (stored.Role, stored.SessionStamp));
        Assert.Equal(changed.Password.Hash, stored.Password.Hash);

        Assert.True(await users.DeleteUserAsync(bob.Id, CancellationToken.None));
        Assert.False(await users.DeleteUserAsync(bob.Id, CancellationToken.None));
        Assert.False(await users.UpdateUserAsync(bob, CancellationToken.None));
        Assert.Null(await users.FindUserAsync(bob.Id, CancellationToken.None));
        Assert.Single(await users.ListUsersAsync(tenant, CancellationToken.None));
    }

    [Fact]
    public async Task Sign_in_failures_count_within_their_window_and_start_again_after_it()
    {
        await using var store = await OpenStoreAsync();
        var throttle = (ISignInThrottleStore)store;
        var key = "account:" + Guid.NewGuid().ToString("N");
        var window = TimeSpan.FromMinutes(15);
        var t0 = Submit.Now;
        Assert.Equal((0, (DateTimeOffset?)null), await throttle.GetSignInFailuresAsync(key, t0 - window, CancellationToken.None));
        Assert.Equal((1, t0), await throttle.RecordSignInFailureAsync(key, t0, t0 - window, CancellationToken.None));
        Assert.Equal((2, t0), await throttle.RecordSignInFailureAsync(key, t0.AddMinutes(1), t0.AddMinutes(1) - window, CancellationToken.None));
        Assert.Equal((2, (DateTimeOffset?)t0), await throttle.GetSignInFailuresAsync(key, t0.AddMinutes(14) - window, CancellationToken.None));

        var later = t0.AddMinutes(16);
        Assert.Equal(0, (await throttle.GetSignInFailuresAsync(key, later - window, CancellationToken.None)).Failures);
        Assert.Equal((1, later), await throttle.RecordSignInFailureAsync(key, later, later - window, CancellationToken.None));

        await throttle.ClearSignInFailuresAsync(key, CancellationToken.None);
        Assert.Equal(0, (await throttle.GetSignInFailuresAsync(key, later - window, CancellationToken.None)).Failures);
    }

    [Fact]
    public async Task A_tenant_flooding_the_ingest_queue_does_not_push_another_tenants_request_behind_its_backlog()
    {
        await using var store = await OpenStoreAsync();
        var flooding = Submit.Tenant();
        var quiet = Submit.Tenant();
        var floodRequests = Enumerable.Range(0, 20).Select(_ => Submit.Request([.. Enumerable.Range(0, 100).Select(_ => Submit.Event(flooding))])).ToList();
        var quietRequest = Submit.Request(Submit.Event(quiet));
        var commits = new List<IReadOnlyDictionary<string, long>>();
        var committedBeforeQuiet = 0;
        await using (var ingestor = new EventIngestor(store, TimeProvider.System, maxEventsPerCommit: 500))
        {
            ingestor.Committed += sizes =>
            {
                lock (commits)
                {
                    commits.Add(sizes);
                }
            };
            var flood = floodRequests.Select(r => ingestor.AppendAsync(r)).ToList();
            lock (commits)
            {
                committedBeforeQuiet = commits.Count;
            }

            var quietDone = ingestor.AppendAsync(quietRequest);
            await Task.WhenAll([.. flood, quietDone]);
        }

        // 2,000 events of the flood need at least four groups of 500; the quiet tenant's request is in
        // the first group formed after it arrived: after the groups committed by then and the one that
        // may have been taken but not yet committed (on a slow machine the loop commits groups while
        // the flood is still being queued).
        Assert.True(commits.Count >= 4, $"{commits.Count} commits");
        var quietGroup = commits.FindIndex(c => c.ContainsKey(quiet));
        Assert.InRange(quietGroup, 0, committedBeforeQuiet + 1);
        Assert.Equal(2000, commits.Where(c => c.ContainsKey(flooding)).Max(c => c[flooding]));
    }
}
