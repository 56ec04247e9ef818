using Microsoft.AspNetCore.Http;
using Witness.Catalog;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Search;
using Witness.Server.Console.Components;
using Witness.Server.Http;
using Witness.Stats;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// The Audit Logs page (SPEC §6): reads what the view asks for (the page of events, the activity
/// counts, the filter facets, the opened event and its inclusion check) and has
/// <see cref="AuditLogsView"/> draw it. The console and the embeddable viewer render the same page;
/// the viewer has no top bar and no Export menu.
/// </summary>
internal sealed class AuditLogPage(IWitnessStore store, ActionCatalog catalog, CheckpointIssuer issuer, TimeProvider clock, EventStatsService stats)
{
    public async Task RenderAsync(HttpContext context, AuditLogView view, ConsoleChrome? chrome)
    {
        var ct = context.RequestAborted;
        var tenant = view.Tenant;
        var zone = TenantZone.Of(await store.GetSettingsAsync(tenant, ct));
        var now = clock.GetUtcNow();
        string? error = null;
        EventPage page;
        EventStats? activity = null;
        try
        {
            var filter = view.BuildFilter(now, zone);
            page = await store.SearchAsync(tenant, filter, view.Rows, view.Cursor, ct);
            activity = stats.Available ? await stats.CountAsync(tenant, filter, zone, null, EventStatsService.DefaultTop, ct) : null;
        }
        catch (SearchSyntaxException ex)
        {
            error = ex.Message;
            page = new EventPage([], null);
        }

        var facets = store is IFacetStore facetStore ? await facetStore.ListFacetsAsync(tenant, ct) : EventFacets.Empty;
        StoredEvent? opened = null;
        InclusionCheck? inclusion = null;
        if (view.OpenEvent is { } openId)
        {
            opened = await store.FindAsync(tenant, openId, ct);
            if (opened is not null)
            {
                inclusion = await InclusionCheck.RunAsync(tenant, opened, store, issuer, ct);
            }
        }

        await ConsoleComponents.RenderAsync<AuditLogsView>(context, error is null ? 200 : 400, new()
        {
            [nameof(AuditLogsView.View)] = view,
            [nameof(AuditLogsView.Chrome)] = chrome,
            [nameof(AuditLogsView.Page)] = page,
            [nameof(AuditLogsView.Activity)] = activity,
            [nameof(AuditLogsView.Facets)] = facets,
            [nameof(AuditLogsView.Error)] = error,
            [nameof(AuditLogsView.Zone)] = zone,
            [nameof(AuditLogsView.Now)] = now,
            [nameof(AuditLogsView.Catalog)] = catalog,
            [nameof(AuditLogsView.Opened)] = opened,
            [nameof(AuditLogsView.Inclusion)] = inclusion,
        });
    }
}
