using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Server.Console.Components;
using Witness.Server.Witnessing;
using Witness.Storage;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Retention &amp; legal hold: the tenant's current retention, legal hold and time zone, a
/// form for the retention days, and a legal hold switch that asks for confirmation. Drawn by <see cref="RetentionView"/>.
/// </summary>
internal static class RetentionPage
{
    public static async Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, TenantSettings settings, string? enteredDays, IReadOnlyList<ValidationError> errors, string? notice, int status)
    {
        var services = context.RequestServices;
        var witnessing = await WitnessingPanel.LoadAsync(scope.Tenant, services.GetRequiredService<HeadsCosigner>(), services.GetRequiredService<CheckpointIssuer>(),
            services.GetRequiredService<IHeadsLogStore>(), services.GetRequiredService<IWitnessStore>(), context.RequestAborted);
        await ConsoleComponents.RenderAsync<RetentionView>(context, status, new()
        {
            [nameof(RetentionView.Scope)] = scope,
            [nameof(RetentionView.Settings)] = settings,
            [nameof(RetentionView.EnteredDays)] = enteredDays,
            [nameof(RetentionView.Errors)] = errors,
            [nameof(RetentionView.Notice)] = notice,
            [nameof(RetentionView.Witnessing)] = witnessing,
        });
    }

    public static string Label(string field) => field switch
    {
        "retention_days" => "Retention period in days",
        "legal_hold" => "Legal hold",
        _ => field,
    };

}
