using System.ComponentModel.DataAnnotations;

namespace Witness.Server.Streams;

/// <summary>
/// How log streams are delivered (<see cref="WitnessServerOptions.Streams"/>; <c>serve --stream-*</c>). Every default suits a
/// production install. Each value is checked against its range at start, and the lease must be longer than the poll interval
/// and the longest retry delay at least the first; a server with a value outside refuses to start, naming the option.
/// </summary>
public sealed class StreamOptions
{
    /// <summary>Most events read and sent in one batch. 1 to 100,000; default 2,000.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 2000;

    /// <summary>How often the worker looks for streams to take (new, resumed, or left by a stopped instance) and for new events. 10 ms to 1 hour; default 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a lease on a stream lasts; renewed at a third of it. When an instance dies, another takes its
    /// streams within this plus <see cref="PollInterval"/>. 1 second to 1 hour, longer than <see cref="PollInterval"/>; default 20 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The first delay after a failed attempt; each next one doubles, with jitter, up to <see cref="MaxRetryDelay"/>. 1 ms to 1 hour; default 1 second.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts while a destination is down. 1 ms to 1 day, at least <see cref="RetryDelay"/>; default 1 minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A destination failing this long is recorded once as an <c>integration_failure</c> event in the tenant's log. 1 ms to 7 days; default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan FailureThreshold { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Syslog has no acknowledgements: a batch counts as delivered once the connection it was written
    /// to is still open this long after. A receiver that closes the connection before makes Witness send
    /// again from the last delivered seq. 1 ms to 1 minute; default 1 second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan SyslogConfirmAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one connection attempt or HTTP request may take. 1 ms to 1 hour; default 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>This instance's name in stream leases; a fresh one per process when null (1 to 200 characters).</summary>
    [StringLength(200, MinimumLength = 1)]
    public string? InstanceId { get; set; }

    /// <summary>The checks across options (each option's own range is checked by the options validator).</summary>
    /// <exception cref="InvalidOperationException">The lease is not longer than the poll interval, or the longest retry delay is shorter than the first.</exception>
    internal void Validate()
    {
        if (LeaseDuration <= PollInterval)
        {
            throw new InvalidOperationException($"Streams.LeaseDuration ({LeaseDuration}) must be longer than Streams.PollInterval ({PollInterval})");
        }

        if (MaxRetryDelay < RetryDelay)
        {
            throw new InvalidOperationException($"Streams.MaxRetryDelay ({MaxRetryDelay}) must be at least Streams.RetryDelay ({RetryDelay})");
        }
    }
}
