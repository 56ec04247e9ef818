using Witness.Alerts;
using Witness.Webhooks;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    // The stores share their column lists and row readers for these tables (StoreRows); every field,
    // null and set, must come back as it was saved.
    [Fact]
    public async Task A_webhook_its_delivery_and_an_alert_rule_come_back_field_for_field()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 891, TimeSpan.Zero);
        var webhook = new Webhook
        {
            Id = "wh_" + Guid.NewGuid().ToString("N"), Tenant = tenant, Url = "https://hooks.example.com/a", Secret = "whsec_a",
            EventTypes = [WebhookEventTypes.Checkpoint, "alert.fired"], Enabled = false, Description = "Ops", CreatedAt = at, UpdatedAt = at.AddMinutes(1),
        };
        var webhooks = (IWebhookStore)store;
        await webhooks.SaveWebhookAsync(webhook, CancellationToken.None);
        var delivery = new WebhookDelivery
        {
            Id = "whd_" + Guid.NewGuid().ToString("N"), WebhookId = webhook.Id, Tenant = tenant, MessageId = "msg_1", EventType = "alert.fired",
            Payload = [1, 2, 3], Attempts = 2, NextAttemptAt = at.AddMinutes(5), LastStatus = 503, LastError = "unavailable", CreatedAt = at,
        };
        await webhooks.EnqueueDeliveriesAsync([delivery], CancellationToken.None);
        var rule = new AlertRule
        {
            Id = "ar_" + Guid.NewGuid().ToString("N"), Tenant = tenant, Name = "Failed logins", Kind = AlertKinds.Threshold, Query = "action:user.login_failed",
            Threshold = 5, WindowMinutes = 10, GroupBy = AlertGroups.Ip, CreatedAt = at, UpdatedAt = at.AddSeconds(3),
        };
        var alerts = (IAlertStore)store;
        await alerts.SaveAlertRuleAsync(rule, CancellationToken.None);

        var found = await webhooks.FindWebhookAsync(tenant, webhook.Id, CancellationToken.None);
        Assert.NotNull(found);
        Assert.Equal(webhook.EventTypes, found.EventTypes);
        Assert.Equal(webhook with { EventTypes = found.EventTypes }, found);
        var stored = Assert.Single(await webhooks.ListDeliveriesAsync(tenant, webhook.Id, 10, CancellationToken.None));
        Assert.Equal(delivery.Payload, stored.Payload);
        Assert.Equal(delivery with { Payload = stored.Payload }, stored);
        Assert.Null(stored.CompletedAt);
        Assert.Equal(rule, await alerts.FindAlertRuleAsync(tenant, rule.Id, CancellationToken.None));
        Assert.Null((await alerts.FindAlertRuleAsync(tenant, rule.Id, CancellationToken.None))!.Dimension);
    }
}
