using System.Globalization;
using Microsoft.AspNetCore.Http;
using Witness.Alerts;
using Witness.Events;
using Witness.Server.Console.Components;

namespace Witness.Server.Console;

/// <summary>
/// Settings › Alert rules: the tenant's rules (kind, query, threshold and window or what is new,
/// enabled) with a confirmed delete each, and a form for a new threshold, first-seen or match rule.
/// Drawn by <see cref="AlertRulesView"/>.
/// </summary>
internal static class AlertRulesPage
{
    public static Task RenderAsync(
        HttpContext context, ConsoleAssets assets, SettingsScope scope, IReadOnlyList<AlertRule> rules, IFormCollection? entered, IReadOnlyList<ValidationError> errors, string? notice, int status) =>
        ConsoleComponents.RenderAsync<AlertRulesView>(context, status, new()
        {
            [nameof(AlertRulesView.Scope)] = scope,
            [nameof(AlertRulesView.Rules)] = rules,
            [nameof(AlertRulesView.Entered)] = entered,
            [nameof(AlertRulesView.Errors)] = errors,
            [nameof(AlertRulesView.Notice)] = notice,
        });

    public static string Label(string field) => field switch
    {
        "name" => "Name",
        "kind" => "Kind",
        "query" => "Query",
        "threshold" => "Threshold",
        "window_minutes" => "Window in minutes",
        "group_by" => "Group by",
        "dimension" => "New",
        "enabled" => "Enabled",
        _ => field,
    };

    public static string KindLabel(string kind) => kind switch
    {
        AlertKinds.Threshold => "Threshold",
        AlertKinds.FirstSeen => "First seen",
        AlertKinds.Match => "Match",
        _ => kind,
    };

    public static string Condition(AlertRule rule) => rule.Kind switch
    {
        AlertKinds.Threshold => string.Create(CultureInfo.InvariantCulture,
            $"{rule.Threshold:N0} events in {rule.WindowMinutes:N0} min, per {(rule.GroupBy == AlertGroups.Ip ? "IP address" : "actor")}"),
        AlertKinds.FirstSeen => $"New {(rule.Dimension == AlertGroups.Country ? "country" : "IP address")} for an actor",
        _ => "Every matching event",
    };
}
