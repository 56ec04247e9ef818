using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Storage;
using Witness.Webhooks;

namespace Witness.Server.Webhooks;

/// <summary>
/// Works the durable delivery queue: claims due deliveries (a lease, so a stopped or crashed worker
/// leaves them due again), posts each signed as Standard Webhooks, and retries with exponential
/// backoff (a Polly retry pipeline) up to <see cref="WitnessServerOptions.WebhookMaxAttempts"/>
/// attempts, saving every attempt so a restart resumes the count. A delivery that finally fails,
/// or whose address the SSRF guard refuses, is recorded as a <c>webhook_failure</c> event.
/// </summary>
internal sealed class WebhookDeliveryService : BackgroundService
{
    /// <summary>The action of the <c>webhook_failure</c> event that records a delivery that finally failed.</summary>
    internal const string FailureAction = "webhook.delivery_failed";

    private const int MaxConcurrent = 8;
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);

    private readonly IWebhookStore _store;
    private readonly SystemEvents _events;
    private readonly WitnessServerOptions _options;
    private readonly ILogger<WebhookDeliveryService> _logger;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _wake = new(0);

    public WebhookDeliveryService(IWebhookStore store, WebhookDispatcher dispatcher, SystemEvents events, WitnessServerOptions options, ILogger<WebhookDeliveryService> logger)
    {
        _store = store;
        _events = events;
        _options = options;
        _logger = logger;
        _http = WebhookHttpClient.Create(options.WebhookAllowedHosts, options.WebhookTimeout);
        dispatcher.Queued += Wake;
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
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count < MaxConcurrent)
            {
                try
                {
                    var now = _options.Clock.GetUtcNow();
                    var claimed = await _store.ClaimDueDeliveriesAsync(now, now + Lease(_options.WebhookRetryDelay), MaxConcurrent - running.Count, stoppingToken);
                    running.AddRange(claimed.Select(d => DeliverAsync(d, stoppingToken)));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogError(ex, "Claiming webhook deliveries failed; retrying in {Interval}", _options.WebhookPollInterval);
                }
            }

            using var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny([_wake.WaitAsync(round.Token), Task.Delay(_options.WebhookPollInterval, _options.Clock, round.Token), .. running]);
            await round.CancelAsync();
        }

        await Task.WhenAll(running);
    }

    private TimeSpan Lease(TimeSpan nextDelay) => nextDelay + _options.WebhookTimeout + LeaseMargin;

    private async Task DeliverAsync(WebhookDelivery delivery, CancellationToken stopping)
    {
        var attempts = delivery.Attempts;
        Attempt? last = null;
        try
        {
            var webhook = await _store.FindWebhookAsync(delivery.Tenant, delivery.WebhookId, stopping);
            if (webhook is null)
            {
                await _store.CompleteDeliveryAsync(delivery.Id, DeliveryStatuses.Failed, attempts, null, "the webhook was deleted", _options.Clock.GetUtcNow(), stopping);
                return;
            }

            var pipeline = Pipeline(delivery, () => attempts, a => attempts = a, stopping);
            last = await pipeline.ExecuteAsync(async ct =>
            {
                var attempt = await PostAsync(webhook, delivery, ct);
                attempts++;
                return attempt;
            }, stopping);

            var now = _options.Clock.GetUtcNow();
            Telemetry.ServerMetrics.DeliveryFinished(last.Succeeded, now - delivery.CreatedAt);
            if (last.Succeeded)
            {
                await _store.CompleteDeliveryAsync(delivery.Id, DeliveryStatuses.Succeeded, attempts, last.Status, null, now, CancellationToken.None);
                return;
            }

            await _store.CompleteDeliveryAsync(delivery.Id, DeliveryStatuses.Failed, attempts, last.Status, last.Error, now, CancellationToken.None);
            await RecordFailureAsync(webhook, delivery, attempts, last);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the delivery is due again at once for the next start, its attempts so far kept.
            await _store.RecordAttemptAsync(delivery.Id, attempts, last?.Status, last?.Error, _options.Clock.GetUtcNow(), CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Delivery {Delivery} failed unexpectedly; it is due again when its lease ends", delivery.Id);
        }
    }

    private ResiliencePipeline<Attempt> Pipeline(WebhookDelivery delivery, Func<int> attempts, Action<int> setAttempts, CancellationToken stopping)
    {
        var retries = _options.WebhookMaxAttempts - 1 - delivery.Attempts;
        if (retries < 1)
        {
            return ResiliencePipeline<Attempt>.Empty;
        }

        return new ResiliencePipelineBuilder<Attempt> { TimeProvider = _options.Clock }
            .AddRetry(new RetryStrategyOptions<Attempt>
            {
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = _options.WebhookRetryDelay,
                MaxDelay = _options.WebhookMaxRetryDelay,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Succeeded: false, Retryable: true }),
                OnRetry = async args =>
                {
                    var result = args.Outcome.Result!;
                    _logger.LogInformation("Webhook delivery {Delivery} attempt {Attempt} failed ({Error}); retrying in {Delay}",
                        delivery.Id, attempts(), result.Error, args.RetryDelay);
                    await _store.RecordAttemptAsync(delivery.Id, attempts(), result.Status, result.Error,
                        _options.Clock.GetUtcNow() + Lease(args.RetryDelay), stopping);
                },
            })
            .Build();
    }

    private async Task<Attempt> PostAsync(Webhook webhook, WebhookDelivery delivery, CancellationToken ct)
    {
        var timestamp = _options.Clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(delivery.Payload) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("webhook-id", delivery.MessageId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(webhook.Secret, delivery.MessageId, timestamp, delivery.Payload));
        request.Headers.UserAgent.ParseAdd("Witness-Webhooks/1");
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new Attempt(true, status, null, false)
                : new Attempt(false, status, $"HTTP {status} {response.ReasonPhrase}".TrimEnd(), true);
        }
        catch (HttpRequestException ex) when (FindRefusal(ex) is { } refused)
        {
            return new Attempt(false, null, refused.Message, Retryable: false);
        }
        catch (HttpRequestException ex)
        {
            return new Attempt(false, null, ex.Message, true);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Attempt(false, null, $"no response within {_options.WebhookTimeout.TotalSeconds:0.###} s", true);
        }
    }

    private static WebhookAddressRefusedException? FindRefusal(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is WebhookAddressRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    private async Task RecordFailureAsync(Webhook webhook, WebhookDelivery delivery, int attempts, Attempt last)
    {
        var metadata = new Dictionary<string, object?>
        {
            ["endpoint"] = webhook.Url,
            ["status"] = last.Status,
            ["attempts"] = attempts,
            ["last_error"] = last.Error,
            ["event_type"] = delivery.EventType,
            ["delivery_id"] = delivery.Id,
            ["message_id"] = delivery.MessageId,
        };
        var e = new AuditEvent
        {
            Id = "whfail_" + delivery.Id,
            Tenant = delivery.Tenant,
            OccurredAt = default,
            Type = LogTypes.WebhookFailure,
            Action = FailureAction,
            Category = "Webhooks",
            Actor = SystemEvents.Witness,
            Targets = [new EventTarget { Type = "webhook", Id = webhook.Id, Name = webhook.Url }],
            Outcome = Outcomes.Failure,
            Reason = last.Status is { } status ? $"HTTP {status} after {attempts} attempts" : $"{last.Error} after {attempts} attempts",
            Metadata = JsonSerializer.SerializeToElement(metadata),
            Description = $"Webhook delivery of {delivery.EventType} to {webhook.Url} failed",
        };
        try
        {
            await _events.RecordAsync(e, idempotent: true, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Recording the failure of webhook delivery {Delivery} failed", delivery.Id);
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    /// <summary>The outcome of one POST: a 2xx, or the status and error of a failure and whether another attempt may help.</summary>
    private sealed record Attempt(bool Succeeded, int? Status, string? Error, bool Retryable);
}
