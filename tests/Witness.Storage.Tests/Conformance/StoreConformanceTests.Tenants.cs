using System.Security.Cryptography;
using Witness.Access;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Verification;
using Witness.Webhooks;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Deleting_a_tenant_removes_its_log_keys_users_settings_and_webhooks_and_leaves_other_tenants_whole()
    {
        await using var store = await OpenStoreAsync();
        var doomed = Submit.Tenant();
        var kept = Submit.Tenant();
        await store.AppendManyAsync(doomed, 300);
        await store.AppendManyAsync(kept, 5);
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await new CheckpointIssuer(store, key, TimeProvider.System).IssueAsync(doomed, CancellationToken.None);
        var (_, apiKey) = ApiKeys.Create(doomed, [Scopes.EventsRead], "doomed", Submit.Now);
        await store.CreateApiKeyAsync(apiKey, CancellationToken.None);
        var user = User($"gone.{Guid.NewGuid():N}@example.com", null, doomed, ConsoleRoles.Auditor);
        await ((IUserStore)store).TryCreateUserAsync(user, CancellationToken.None);
        await store.SaveSettingsAsync(doomed, new TenantSettings { RetentionDays = 7, StrictMode = true }, CancellationToken.None);
        var webhooks = (IWebhookStore)store;
        await webhooks.SaveWebhookAsync(new Webhook
        {
            Id = "wh_" + Guid.NewGuid().ToString("N"), Tenant = doomed, Url = "https://hooks.example.com/x", Secret = "whsec_x", EventTypes = [WebhookEventTypes.Checkpoint],
        }, CancellationToken.None);

        var removed = await ((ITenantStore)store).DeleteTenantAsync(doomed, CancellationToken.None);

        Assert.Equal(new TenantDeletion(300, 1, 1), removed);
        Assert.DoesNotContain(doomed, await store.ListTenantsAsync(CancellationToken.None));
        Assert.Null(await store.GetFrontierAsync(doomed, CancellationToken.None));
        Assert.Null(await store.LatestCheckpointAsync(doomed, CancellationToken.None));
        Assert.Null(await store.FindBySeqAsync(doomed, 1, CancellationToken.None));
        Assert.Null(await store.FindApiKeyAsync(apiKey.KeyId, CancellationToken.None));
        Assert.Null(await ((IUserStore)store).FindUserAsync(user.Id, CancellationToken.None));
        Assert.Equal(TenantSettings.Default, await store.GetSettingsAsync(doomed, CancellationToken.None));
        Assert.Empty(await webhooks.ListWebhooksAsync(doomed, CancellationToken.None));
        Assert.Null(await ((ITenantStore)store).DeleteTenantAsync(doomed, CancellationToken.None));

        Assert.Equal(5, (await store.GetFrontierAsync(kept, CancellationToken.None))!.Size);
        var verifier = new ChainVerifier(store, key.Key, key.KeyName);
        var keptResult = await verifier.VerifyAsync(kept, CancellationToken.None);
        Assert.True(keptResult.Ok, keptResult.Problem);

        // The name can be used again and starts a new log at seq 1 that verifies.
        await store.AppendManyAsync(doomed, 2);
        Assert.Equal(2, (await store.GetFrontierAsync(doomed, CancellationToken.None))!.Size);
        var again = await verifier.VerifyAsync(doomed, CancellationToken.None);
        Assert.True(again.Ok, again.Problem);
        Assert.Equal(0, again.CheckpointsChecked);
    }
}
