using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Alerts;
using Witness.Catalog;
using Witness.Events;
using Witness.Ingest;
using Witness.Search;
using Witness.Server.Auditing;
using Witness.Server.Http;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Alerts;

/// <summary>
/// Evaluates tenants' alert rules against their logs, off the ingest path: a commit only marks the
/// tenant as grown, and this service reads the new events back in seq order and evaluates them, so
/// ingest never waits for it. Each firing is recorded as an <c>alert.fired</c> event (its id names
/// the rule and the event that fired it, so re-evaluation after a restart stores it once) and sent
/// to the tenant's webhooks subscribed to <c>alert.fired</c>.
/// </summary>
/// <remarks>
/// What survives a restart: each tenant's evaluation cursor (saved at most once a second and at
/// stop; events after it are evaluated at the next start), and first-seen values (stored as they
/// are seen). Threshold windows are rebuilt at start from the events of the last window that were
/// already evaluated. Events Witness records about alerting and its own deliveries are never
/// evaluated, so a rule cannot feed itself.
/// </remarks>
internal sealed class AlertService : BackgroundService
{
    private static readonly TimeSpan CursorSaveInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RuleRefreshInterval = TimeSpan.FromSeconds(30);

    private readonly IWitnessStore _store;
    private readonly IAlertStore _alerts;
    private readonly SystemEvents _events;
    private readonly WebhookDispatcher _dispatcher;
    private readonly TenantSettingsCache _settings;
    private readonly TimeProvider _clock;
    private readonly ILogger<AlertService> _logger;
    private readonly ConcurrentDictionary<string, long> _grown = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _changed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TenantRules> _tenants = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _refreshedAt;

    public AlertService(IWitnessStore store, IAlertStore alerts, EventIngestor ingestor, SystemEvents events, WebhookDispatcher dispatcher,
        TenantSettingsCache settings, WitnessServerOptions options, ILogger<AlertService> logger)
    {
        _store = store;
        _alerts = alerts;
        _events = events;
        _dispatcher = dispatcher;
        _settings = settings;
        _clock = options.Clock;
        _logger = logger;
        ingestor.Committed += OnCommitted;
    }

    /// <summary>Completes once rules are loaded and the events missed while stopped are evaluated.</summary>
    public Task Started => _started.Task;

    /// <summary>
    /// Tells the service a tenant's rules changed; a new or changed rule is evaluated from the event
    /// after <paramref name="head"/> (the log's size when it was saved) on.
    /// </summary>
    public void RulesChanged(string tenant, long head)
    {
        _changed.AddOrUpdate(tenant, head, (_, old) => Math.Max(old, head));
        Wake();
    }

    private void OnCommitted(IReadOnlyDictionary<string, long> sizes)
    {
        foreach (var (tenant, size) in sizes)
        {
            _grown.AddOrUpdate(tenant, size, (_, old) => Math.Max(old, size));
        }

        Wake();
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await LoadAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "Loading alert rules failed; alerts are evaluated from the next change on");
        }

        _started.TrySetResult();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using (var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    await Task.WhenAny(_wake.WaitAsync(round.Token), Task.Delay(CursorSaveInterval, _clock, round.Token));
                    await round.CancelAsync();
                }

                try
                {
                    await RoundAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogError(ex, "Evaluating alert rules failed; the events are evaluated again at the next round");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await SaveCursorsAsync(force: true, CancellationToken.None);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var byTenant = (await _alerts.ListEnabledAlertRulesAsync(ct)).GroupBy(r => r.Tenant, StringComparer.Ordinal);
        foreach (var rules in byTenant)
        {
            var tenant = rules.Key;
            var head = (await _store.GetFrontierAsync(tenant, ct))?.Size ?? 0;
            var cursor = await _alerts.GetAlertCursorAsync(tenant, ct) ?? head;
            var state = new TenantRules(tenant, cursor) { SavedCursor = cursor };
            state.Rules.AddRange(await CompileAsync(rules, 0, ct));
            _tenants[tenant] = state;
            await RebuildWindowsAsync(state, ct);
            _grown[tenant] = head;
        }

        _refreshedAt = _clock.GetUtcNow();
        await RoundAsync(ct);
    }

    private async Task RoundAsync(CancellationToken ct)
    {
        foreach (var tenant in _changed.Keys)
        {
            if (_changed.TryRemove(tenant, out var head))
            {
                await ReloadAsync(tenant, head, ct);
            }
        }

        if (_clock.GetUtcNow() - _refreshedAt >= RuleRefreshInterval)
        {
            // Rules changed through another instance arrive within this interval.
            _refreshedAt = _clock.GetUtcNow();
            foreach (var tenant in (await _alerts.ListEnabledAlertRulesAsync(ct)).Select(r => r.Tenant).Concat(_tenants.Keys).Distinct().ToList())
            {
                await ReloadAsync(tenant, (await _store.GetFrontierAsync(tenant, ct))?.Size ?? 0, ct);
            }
        }

        foreach (var tenant in _grown.Keys)
        {
            if (_grown.TryRemove(tenant, out _) && _tenants.TryGetValue(tenant, out var state))
            {
                await EvaluateNewEventsAsync(state, ct);
            }
        }

        await SaveCursorsAsync(force: false, ct);
    }

    private async Task ReloadAsync(string tenant, long head, CancellationToken ct)
    {
        var rules = (await _alerts.ListAlertRulesAsync(tenant, ct)).Where(r => r.Enabled).ToList();
        if (!_tenants.TryGetValue(tenant, out var state))
        {
            if (rules.Count == 0)
            {
                return;
            }

            // A tenant without rules was not evaluated: its new rules start with the events after head.
            state = new TenantRules(tenant, head);
            _tenants[tenant] = state;
        }

        var kept = state.Rules.Where(c => rules.Any(r => r == c.Rule)).ToList();
        var added = rules.Where(r => kept.All(c => c.Rule != r)).ToList();
        state.Rules.Clear();
        state.Rules.AddRange(kept);
        state.Rules.AddRange(await CompileAsync(added, head, ct));
        if (state.Rules.Count == 0)
        {
            _tenants.Remove(tenant);
            await _alerts.SaveAlertCursorAsync(tenant, state.Cursor, ct);
        }
    }

    private async Task<List<CompiledRule>> CompileAsync(IEnumerable<AlertRule> rules, long activeAfter, CancellationToken ct)
    {
        var compiled = new List<CompiledRule>();
        foreach (var rule in rules)
        {
            var zone = TenantZone.Of(await _settings.GetAsync(rule.Tenant, ct));
            try
            {
                compiled.Add(new CompiledRule(rule, SearchQueryParser.Parse(rule.Query, zone), activeAfter));
            }
            catch (SearchSyntaxException ex)
            {
                _logger.LogWarning("Alert rule {Rule} of tenant {Tenant} has a query that no longer parses ({Problem}); it is skipped", rule.Id, rule.Tenant, ex.Message);
            }
        }

        return compiled;
    }

    /// <summary>Refills threshold windows from the events of the last window that were evaluated before the stop, without firing.</summary>
    private async Task RebuildWindowsAsync(TenantRules state, CancellationToken ct)
    {
        foreach (var rule in state.Rules.Where(r => r.Window is not null))
        {
            var since = _clock.GetUtcNow() - TimeSpan.FromMinutes(rule.Rule.WindowMinutes!.Value);
            var recent = new List<StoredEvent>();
            await foreach (var stored in _store.StreamAsync(state.Tenant, rule.Filter.And(new EventFilter { From = since }), ct))
            {
                if (stored.Seq <= state.Cursor)
                {
                    recent.Add(stored);
                }
            }

            foreach (var stored in recent.OrderBy(s => s.Seq))
            {
                if (GroupOf(rule.Rule.GroupBy, stored.Event) is { } group)
                {
                    rule.Window!.Add(group, stored.Event.OccurredAt, stored.Event.ReceivedAt);
                }
            }
        }
    }

    private async Task EvaluateNewEventsAsync(TenantRules state, CancellationToken ct)
    {
        await foreach (var row in _store.ReadLogAsync(state.Tenant, state.Cursor + 1, ct))
        {
            var e = CanonicalEvent.Read(row.Body);
            if (!IsOwnRecord(e))
            {
                var keys = EventIndexKeys.From(e);
                foreach (var rule in state.Rules)
                {
                    if (row.Seq > rule.ActiveAfter && EventFilterMatcher.Matches(rule.Filter, e, keys))
                    {
                        await EvaluateAsync(rule, e, row.Hash, ct);
                    }
                }
            }

            state.Cursor = row.Seq;
        }
    }

    private static bool IsOwnRecord(AuditEvent e) =>
        e.Action == BuiltInActions.AlertFired.Action || (e.Actor.Type == ActorTypes.System && e.Actor.Id == SystemEvents.Witness.Id && e.Type == LogTypes.WebhookFailure);

    private async Task EvaluateAsync(CompiledRule compiled, AuditEvent e, byte[] hash, CancellationToken ct)
    {
        var rule = compiled.Rule;
        switch (rule.Kind)
        {
            case AlertKinds.Match:
                await FireAsync(rule, e, hash, new JsonObject(), ct);
                break;
            case AlertKinds.Threshold when GroupOf(rule.GroupBy, e) is { } group:
                if (compiled.Window!.Add(group, e.OccurredAt, e.ReceivedAt))
                {
                    await FireAsync(rule, e, hash, new JsonObject
                    {
                        ["group_by"] = rule.GroupBy,
                        ["group"] = group,
                        ["count"] = rule.Threshold,
                        ["window_minutes"] = rule.WindowMinutes,
                    }, ct);
                }

                break;
            case AlertKinds.FirstSeen when ActorOf(e) is { } actor && ValueOf(rule.Dimension, e) is { } value:
                var seen = await _alerts.GetSeenValuesAsync(rule.Id, actor, ct);
                if (seen.Contains(value))
                {
                    break;
                }

                await _alerts.AddSeenValuesAsync(rule.Id, [(actor, value)], ct);
                // An actor's very first event only starts its history; a new value after that is the alert.
                if (seen.Count > 0)
                {
                    await FireAsync(rule, e, hash, new JsonObject
                    {
                        ["dimension"] = rule.Dimension,
                        ["actor"] = actor,
                        ["value"] = value,
                        ["seen_before"] = new JsonArray([.. seen.Order(StringComparer.Ordinal).Select(v => JsonValue.Create(v))]),
                    }, ct);
                }

                break;
        }
    }

    private async Task FireAsync(AlertRule rule, AuditEvent trigger, byte[] triggerHash, JsonObject details, CancellationToken ct)
    {
        details["rule_id"] = rule.Id;
        details["rule_kind"] = rule.Kind;
        details["query"] = rule.Query;
        details["trigger_seq"] = trigger.Seq;
        details["trigger_event_id"] = trigger.Id;
        var alert = new AuditEvent
        {
            Id = $"alert_{rule.Id}_{trigger.Seq}",
            Tenant = rule.Tenant,
            // The trigger's receipt time, not now: evaluating the same event again makes the same event.
            OccurredAt = trigger.ReceivedAt,
            Type = LogTypes.Activity,
            Action = BuiltInActions.AlertFired.Action,
            Category = BuiltInActions.Category,
            Actor = SystemEvents.Witness,
            Targets =
            [
                new EventTarget { Type = "alert_rule", Id = rule.Id, Name = rule.Name },
                new EventTarget { Type = "event", Id = trigger.Id, Name = trigger.Description ?? trigger.Action },
            ],
            Outcome = Outcomes.Success,
            Metadata = JsonSerializer.SerializeToElement(details),
        };
        var recorded = await _events.RecordAsync(alert, idempotent: true, ct);
        if (recorded is null || recorded.Replayed)
        {
            return;
        }

        _logger.LogInformation("Alert rule {Rule} of tenant {Tenant} fired on event {Seq}", rule.Id, rule.Tenant, trigger.Seq);
        await _dispatcher.DispatchAsync(rule.Tenant, WebhookEventTypes.AlertFired, new JsonObject
        {
            ["rule"] = new JsonObject { ["id"] = rule.Id, ["name"] = rule.Name, ["kind"] = rule.Kind, ["query"] = rule.Query },
            ["alert"] = EventNode(recorded.Body, recorded.Hash),
            ["event"] = EventNode(CanonicalEvent.Write(trigger), triggerHash),
        }, ct);
    }

    private static JsonNode EventNode(byte[] body, byte[] hash)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(body.Length + 80);
        CanonicalEvent.WriteWithHash(buffer, body, hash);
        return JsonNode.Parse(buffer.WrittenSpan)!;
    }

    private static string? ActorOf(AuditEvent e) => e.Actor.Id ?? e.Actor.Email?.ToLowerInvariant();

    private static string? GroupOf(string? groupBy, AuditEvent e) => groupBy == AlertGroups.Ip ? e.Context?.Ip : ActorOf(e);

    private static string? ValueOf(string? dimension, AuditEvent e) =>
        dimension == AlertGroups.Country ? e.Context?.Location?.Country?.ToUpperInvariant() : e.Context?.Ip;

    private async Task SaveCursorsAsync(bool force, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        foreach (var state in _tenants.Values)
        {
            if (state.Cursor > state.SavedCursor && (force || now - state.SavedAt >= CursorSaveInterval))
            {
                try
                {
                    await _alerts.SaveAlertCursorAsync(state.Tenant, state.Cursor, ct);
                    state.SavedCursor = state.Cursor;
                    state.SavedAt = now;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogWarning(ex, "Saving the alert cursor of tenant {Tenant} failed", state.Tenant);
                }
            }
        }
    }

    /// <summary>A tenant's enabled rules and how far its log has been evaluated.</summary>
    private sealed class TenantRules(string tenant, long cursor)
    {
        public string Tenant { get; } = tenant;
        public long Cursor { get; set; } = cursor;
        public long SavedCursor { get; set; }
        public DateTimeOffset SavedAt { get; set; }
        public List<CompiledRule> Rules { get; } = [];
    }

    /// <summary>A rule with its parsed query, its threshold window, and the seq after which it applies.</summary>
    private sealed class CompiledRule(AlertRule rule, EventFilter filter, long activeAfter)
    {
        public AlertRule Rule { get; } = rule;
        public EventFilter Filter { get; } = filter;
        public long ActiveAfter { get; } = activeAfter;
        public ThresholdWindow? Window { get; } = rule.Kind == AlertKinds.Threshold
            ? new ThresholdWindow(rule.Threshold!.Value, TimeSpan.FromMinutes(rule.WindowMinutes!.Value))
            : null;
    }
}
