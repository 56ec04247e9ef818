using System.ComponentModel.DataAnnotations;

namespace Witness.Server.Limits;

/// <summary>
/// Per-key and per-tenant limits of one instance (each instance counts its own requests). A rate is
/// a token bucket refilled continuously; its burst is how many tokens it holds when full. A request
/// over a limit is answered 429 with <c>Retry-After</c> and problem+json, and nothing of it is stored.
/// Every default leaves room for a busy tenant on this hardware and stops one that floods; 0 turns a
/// limit off.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Events per second one tenant may send (all its keys together). Default 20,000.</summary>
    [Range(0, 10_000_000)]
    public int TenantEventsPerSecond { get; set; } = 20_000;

    /// <summary>Events per second one API key may send (a global key across all its tenants). Default 20,000.</summary>
    [Range(0, 10_000_000)]
    public int KeyEventsPerSecond { get; set; } = 20_000;

    /// <summary>How many events a bucket holds when full: a burst sent at once. At least a batch (1,000). Default 40,000.</summary>
    [Range(Events.EventLimits.MaxBatchEvents, 100_000_000)]
    public int EventsBurst { get; set; } = 40_000;

    /// <summary>Read requests per second on one tenant (search, one event, proofs, checkpoints). Default 1,000.</summary>
    [Range(0, 10_000_000)]
    public int TenantReadsPerSecond { get; set; } = 1_000;

    /// <summary>Read requests per second by one API key or console user. Default 1,000.</summary>
    [Range(0, 10_000_000)]
    public int KeyReadsPerSecond { get; set; } = 1_000;

    /// <summary>Read requests a bucket holds when full. Default 2,000.</summary>
    [Range(1, 100_000_000)]
    public int ReadsBurst { get; set; } = 2_000;

    /// <summary>Exports of one tenant running at once; one more is refused until one ends. Default 4.</summary>
    [Range(0, 10_000_000)]
    public int TenantConcurrentExports { get; set; } = 4;

    /// <summary>Verifications (<c>GET</c> and <c>POST /v1/verify</c>) of one tenant running at once. Default 2.</summary>
    [Range(0, 10_000_000)]
    public int TenantConcurrentVerifications { get; set; } = 2;

    /// <exception cref="InvalidOperationException">A value is out of range; the message names the option.</exception>
    public void Validate()
    {
        foreach (var (name, value) in new[]
        {
            (nameof(TenantEventsPerSecond), TenantEventsPerSecond), (nameof(KeyEventsPerSecond), KeyEventsPerSecond),
            (nameof(TenantReadsPerSecond), TenantReadsPerSecond), (nameof(KeyReadsPerSecond), KeyReadsPerSecond),
            (nameof(TenantConcurrentExports), TenantConcurrentExports), (nameof(TenantConcurrentVerifications), TenantConcurrentVerifications),
        })
        {
            if (value < 0)
            {
                throw new InvalidOperationException($"the rate limit {name} must be 0 (no limit) or more, not {value}");
            }
        }

        if (EventsBurst < Events.EventLimits.MaxBatchEvents)
        {
            throw new InvalidOperationException($"the rate limit {nameof(EventsBurst)} must hold at least one whole batch ({Events.EventLimits.MaxBatchEvents} events), not {EventsBurst}");
        }

        if (ReadsBurst < 1)
        {
            throw new InvalidOperationException($"the rate limit {nameof(ReadsBurst)} must be at least 1, not {ReadsBurst}");
        }
    }
}
