namespace Witness.Server.Streams;

/// <summary>How log streams are delivered (<see cref="WitnessServerOptions.Streams"/>). Every default suits a production install.</summary>
public sealed class StreamOptions
{
    /// <summary>Most events read and sent in one batch. Default 2,000.</summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>How often the worker looks for streams to take (new, resumed, or left by a stopped instance) and for new events. Default 5 seconds.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a lease on a stream lasts; renewed at a third of it. When an instance dies, another takes its
    /// streams within this plus <see cref="PollInterval"/>. Default 20 seconds.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The first delay after a failed attempt; each next one doubles, with jitter, up to <see cref="MaxRetryDelay"/>. Default 1 second.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts while a destination is down. Default 1 minute.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A destination failing this long is recorded once as an <c>integration_failure</c> event in the tenant's log. Default 10 minutes.</summary>
    public TimeSpan FailureThreshold { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Syslog has no acknowledgements: a batch counts as delivered once the connection it was written
    /// to is still open this long after. A receiver that closes the connection before makes Witness send
    /// again from the last delivered seq. Default 1 second.
    /// </summary>
    public TimeSpan SyslogConfirmAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one connection attempt or HTTP request may take. Default 10 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>This instance's name in stream leases; a fresh one per process when null.</summary>
    public string? InstanceId { get; set; }

    internal void Validate()
    {
        if (BatchSize is < 1 or > 100_000)
        {
            throw new InvalidOperationException($"the stream batch size {BatchSize} must be from 1 to 100000");
        }

        if (PollInterval <= TimeSpan.Zero || LeaseDuration <= PollInterval || RetryDelay <= TimeSpan.Zero || MaxRetryDelay < RetryDelay || Timeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("stream timing must be positive, the lease longer than the poll interval and the longest retry delay at least the first");
        }
    }
}
