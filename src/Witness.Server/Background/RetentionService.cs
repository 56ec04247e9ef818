using System.Text.Json;
using Microsoft.Extensions.Logging;
using Witness.Catalog;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Storage;

namespace Witness.Server.Background;

/// <summary>
/// Purges each tenant's events older than its retention days (counted from <c>received_at</c>),
/// oldest first, in short transactions of <see cref="WitnessServerOptions.RetentionBatchSize"/>
/// events so ingest never waits long, and records every purge as a <c>log.purge</c> event with the
/// seq range and count. A tenant under legal hold is skipped, and a hold placed while a purge runs
/// stops it before its next batch.
/// </summary>
internal sealed class RetentionService(
    IWitnessStore store, IRetentionStore retention, SystemEvents events, WitnessServerOptions options, ILogger<RetentionService> logger)
    : TenantPassService(store, options, logger)
{
    protected override TimeSpan Interval => Options.RetentionInterval;

    protected override string PassName => "Retention";

    /// <summary>
    /// Purges the tenant's events past its retention days and erases its personal values past its personal-data days;
    /// returns how many events it purged.
    /// </summary>
    protected override async Task<long> RunTenantAsync(string tenant, CancellationToken ct)
    {
        var settings = await Store.GetSettingsAsync(tenant, ct);
        var prefix = await retention.GetPurgedPrefixAsync(tenant, ct);
        var from = prefix.RecordedThrough + 1;
        var through = prefix.PurgedThrough;
        long count = 0;
        while (!settings.LegalHold)
        {
            var cutoff = Options.Clock.GetUtcNow().AddDays(-settings.RetentionDays);
            var batch = await retention.PurgeAsync(tenant, cutoff, Options.RetentionBatchSize, ct);
            if (batch is null)
            {
                break;
            }

            through = batch.ToSeq;
            count += batch.Count;
            Telemetry.ServerMetrics.PurgedEvents(batch.Count);
            settings = await Store.GetSettingsAsync(tenant, ct);
        }

        if (!settings.LegalHold && settings.PersonalDataDays is { } days && Store is IPersonalDataStore personal)
        {
            var erased = await personal.EraseReceivedBeforeAsync(tenant, Options.Clock.GetUtcNow().AddDays(-days), ct);
            if (erased.Events > 0)
            {
                await events.RecordAsync(new AuditEvent
                {
                    Id = "",
                    Tenant = tenant,
                    OccurredAt = default,
                    Type = LogTypes.Activity,
                    Action = BuiltInActions.PrivacyExpire.Action,
                    Category = BuiltInActions.Category,
                    Actor = SystemEvents.Witness,
                    Outcome = Outcomes.Success,
                    Metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object>
                    {
                        ["events"] = erased.Events,
                        ["personal_data_days"] = days,
                    }),
                }, idempotent: false, ct);
                Logger.LogInformation("Erased the personal values of {Count} events of tenant {Tenant} older than {Days} days", erased.Events, tenant, days);
            }
        }

        // Also records a purge whose event was lost to a stop between its last batch and its record.
        if (through >= from)
        {
            await RecordAsync(tenant, from, through, settings.RetentionDays, ct);
            await retention.MarkPurgeRecordedAsync(tenant, through, ct);
            Logger.LogInformation("Retention purged events {From} to {Through} of tenant {Tenant}", from, through, tenant);
        }

        return count;
    }

    private async Task RecordAsync(string tenant, long from, long through, int retentionDays, CancellationToken ct)
    {
        var e = new AuditEvent
        {
            Id = $"purge_{through}",
            Tenant = tenant,
            OccurredAt = default,
            Type = LogTypes.Activity,
            Action = BuiltInActions.LogPurge.Action,
            Category = BuiltInActions.Category,
            Actor = SystemEvents.Witness,
            Outcome = Outcomes.Success,
            Metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["events"] = through - from + 1,
                ["retention_days"] = retentionDays,
                ["from_seq"] = from,
                ["to_seq"] = through,
            }),
        };

        // The id names the range, so a record repeated after a stop is stored once (or refused as taken).
        await events.RecordAsync(e, idempotent: true, ct);
    }
}
