using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Witness.Events;
using Witness.Server.Auth;
using Witness.Server.Http;

namespace Witness.Server.Limits;

/// <summary>
/// The limits of <see cref="RateLimitOptions"/>, held per API key (or console user) and per tenant:
/// token buckets for events sent and for reads, and concurrency limits for exports and
/// verifications. Reads are limited by <see cref="UseRateLimits"/> once the caller is known; events
/// by <see cref="RefuseIngest"/> once the request is parsed, since the cost is its event count. An
/// answer over a limit is 429 problem+json with <c>Retry-After</c> in whole seconds.
/// </summary>
internal sealed class RateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _keyEvents;
    private readonly PartitionedRateLimiter<string>? _tenantEvents;
    private readonly PartitionedRateLimiter<string>? _keyReads;
    private readonly PartitionedRateLimiter<string>? _tenantReads;
    private readonly PartitionedRateLimiter<string>? _exports;
    private readonly PartitionedRateLimiter<string>? _verifications;

    // A key or tenant refused for events is refused before its next body is read until its Retry-After
    // has passed: a client that ignores Retry-After and resends at once costs no parsing. Real time, as
    // the token buckets keep it. Keyed "key:ID" and "tenant:NAME"; timestamps of TimeProvider.System.
    private readonly ConcurrentDictionary<string, long> _refusedUntil = new(StringComparer.Ordinal);
    private static readonly TimeProvider RealTime = TimeProvider.System;

    // What each limiter allows, for the problem's detail.
    private readonly Dictionary<PartitionedRateLimiter<string>, int> _limits = new(ReferenceEqualityComparer.Instance);

    public RateLimits(RateLimitOptions options)
    {
        options.Validate();
        _keyEvents = Buckets(options.KeyEventsPerSecond, options.EventsBurst);
        _tenantEvents = Buckets(options.TenantEventsPerSecond, options.EventsBurst);
        _keyReads = Buckets(options.KeyReadsPerSecond, options.ReadsBurst);
        _tenantReads = Buckets(options.TenantReadsPerSecond, options.ReadsBurst);
        _exports = Concurrency(options.TenantConcurrentExports);
        _verifications = Concurrency(options.TenantConcurrentVerifications);
    }

    /// <summary>
    /// Takes the request's events from its key's and each of its tenants' buckets; a 429 result when
    /// one of them does not hold enough (the request must then store nothing), else null.
    /// </summary>
    public IResult? RefuseIngest(HttpContext context, Caller caller, IReadOnlyList<SubmittedEvent> events)
    {
        if (Take(_keyEvents, caller.KeyId, events.Count) is { } keyWait)
        {
            RememberRefusal("key:" + caller.KeyId, keyWait);
            return Refused(context, keyWait, "Too many events from this key", $"This API key may send {Describe(_keyEvents)} events per second.");
        }

        foreach (var tenant in events.GroupBy(e => e.Event.Tenant, StringComparer.Ordinal))
        {
            if (Take(_tenantEvents, tenant.Key, tenant.Count()) is { } tenantWait)
            {
                RememberRefusal("tenant:" + tenant.Key, tenantWait);
                return Refused(context, tenantWait, "Too many events for this tenant", $"Tenant '{tenant.Key}' may receive {Describe(_tenantEvents)} events per second.");
            }
        }

        return null;
    }

    /// <summary>
    /// Limits every authorized GET under <c>/v1</c>: reads per key and per tenant, exports and
    /// verifications per tenant at once; and refuses <c>POST /v1/events</c> early, before its body is
    /// read, while the key's or its tenant's bucket is empty or its last refusal's Retry-After has not passed.
    /// </summary>
    public static IApplicationBuilder UseRateLimits(IApplicationBuilder app)
    {
        var limits = app.ApplicationServices.GetRequiredService<RateLimits>();
        return app.Use((context, next) => limits.LimitReadAsync(context, next));
    }

    private async Task LimitReadAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/v1") || context.User.Identity?.IsAuthenticated != true
            || (context.User.FindFirst(Caller.KeyIdClaim) is null && context.User.FindFirst(ConsoleClaims.UserIdClaim) is null))
        {
            await next(context);
            return;
        }

        var caller = Caller.From(context.User);
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals("/v1/events", StringComparison.Ordinal))
        {
            // A key or bound tenant whose bucket is already empty is refused before its body is read and parsed.
            if ((Empty(_keyEvents, caller.KeyId) ? TimeSpan.FromSeconds(1) : StillRefused("key:" + caller.KeyId)) is { } keyWait)
            {
                await Refused(context, keyWait, "Too many events from this key", $"This API key may send {Describe(_keyEvents)} events per second.").ExecuteAsync(context);
                return;
            }

            if (caller.Tenant is { } bound && (Empty(_tenantEvents, bound) ? TimeSpan.FromSeconds(1) : StillRefused("tenant:" + bound)) is { } tenantWait)
            {
                await Refused(context, tenantWait, "Too many events for this tenant", $"Tenant '{bound}' may receive {Describe(_tenantEvents)} events per second.").ExecuteAsync(context);
                return;
            }

            await next(context);
            return;
        }

        var path = context.Request.Path;
        // POST /v1/verify (against outside checkpoints) is a verification like GET and shares its limit.
        if (!HttpMethods.IsGet(context.Request.Method) && !(HttpMethods.IsPost(context.Request.Method) && path.Equals("/v1/verify", StringComparison.Ordinal)))
        {
            await next(context);
            return;
        }

        var tenant = caller.Tenant ?? context.Request.Query["tenant"].ToString();
        RateLimitLease? lease = null;
        try
        {
            if (path.Equals("/v1/events/export", StringComparison.Ordinal) || path.Equals("/v1/verify", StringComparison.Ordinal))
            {
                var exports = path.Equals("/v1/verify", StringComparison.Ordinal) ? _verifications : _exports;
                if (exports is not null && EventParser.IsValidTenant(tenant))
                {
                    lease = exports.AttemptAcquire(tenant);
                    if (!lease.IsAcquired)
                    {
                        var what = exports == _exports ? "exports" : "verifications";
                        await Refused(context, TimeSpan.FromSeconds(1), $"Too many {what} at once", $"Tenant '{tenant}' may run {Describe(exports)} {what} at once; wait for one to end.").ExecuteAsync(context);
                        return;
                    }
                }
            }
            else
            {
                if (Take(_keyReads, caller.KeyId, 1) is { } keyWait)
                {
                    await Refused(context, keyWait, "Too many reads from this key", $"This API key or user may make {Describe(_keyReads)} reads per second.").ExecuteAsync(context);
                    return;
                }

                if (EventParser.IsValidTenant(tenant) && Take(_tenantReads, tenant, 1) is { } tenantWait)
                {
                    await Refused(context, tenantWait, "Too many reads for this tenant", $"Tenant '{tenant}' may be read {Describe(_tenantReads)} times per second.").ExecuteAsync(context);
                    return;
                }
            }

            await next(context);
        }
        finally
        {
            lease?.Dispose();
        }
    }

    private void RememberRefusal(string partition, TimeSpan wait) =>
        _refusedUntil[partition] = RealTime.GetTimestamp() + (long)(wait.TotalSeconds * RealTime.TimestampFrequency);

    /// <summary>How long until <paramref name="partition"/>'s last refusal for events ends, or null when it has.</summary>
    private TimeSpan? StillRefused(string partition)
    {
        if (!_refusedUntil.TryGetValue(partition, out var until))
        {
            return null;
        }

        var left = until - RealTime.GetTimestamp();
        if (left > 0)
        {
            return TimeSpan.FromSeconds((double)left / RealTime.TimestampFrequency);
        }

        _refusedUntil.TryRemove(KeyValuePair.Create(partition, until));
        return null;
    }

    private static bool Empty(PartitionedRateLimiter<string>? limiter, string partition) =>
        limiter?.GetStatistics(partition) is { CurrentAvailablePermits: < 1 };

    /// <summary>Null when the permits were taken (or there is no limit), else how long until they may be.</summary>
    private static TimeSpan? Take(PartitionedRateLimiter<string>? limiter, string partition, int permits)
    {
        if (limiter is null)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire(partition, permits);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
    }

    private PartitionedRateLimiter<string>? Buckets(int perSecond, int burst)
    {
        if (perSecond == 0)
        {
            return null;
        }

        // Refilled up to 20 times a second with an exact rate, so a bucket never waits a whole second for its tokens.
        var perRefill = Math.Max(1, (perSecond + 19) / 20);
        var period = TimeSpan.FromSeconds((double)perRefill / perSecond);
        var limiter = PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(burst, 1),
            TokensPerPeriod = perRefill,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _limits[limiter] = perSecond;
        return limiter;
    }

    private PartitionedRateLimiter<string>? Concurrency(int atOnce)
    {
        if (atOnce == 0)
        {
            return null;
        }

        var limiter = PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetConcurrencyLimiter(partition, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = atOnce,
            QueueLimit = 0,
        }));
        _limits[limiter] = atOnce;
        return limiter;
    }

    private string Describe(PartitionedRateLimiter<string>? limiter) =>
        limiter is null ? "any number of" : _limits[limiter].ToString("N0", CultureInfo.InvariantCulture);

    private static IResult Refused(HttpContext context, TimeSpan wait, string title, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Result(429, title, $"{detail} Retry after {seconds} s.");
    }

    public void Dispose()
    {
        foreach (var limiter in _limits.Keys)
        {
            limiter.Dispose();
        }
    }
}
