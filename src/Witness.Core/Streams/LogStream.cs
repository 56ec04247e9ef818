namespace Witness.Streams;

/// <summary>
/// A tenant's log stream: where every event of the tenant is delivered (<see cref="Kind"/> and
/// <see cref="Url"/>), in which <see cref="Format"/>, and which events (<see cref="Types"/>,
/// <see cref="Categories"/>, <see cref="Query"/>; empty means all). <see cref="Secret"/> is the
/// Splunk HEC token or the Standard Webhooks secret, as the store keeps it (sealed by the server).
/// <see cref="Progress"/> is the durable cursor and what the last attempt came to.
/// </summary>
public sealed record LogStream
{
    public required string Id { get; init; }
    public required string Tenant { get; init; }
    public required string Name { get; init; }

    /// <summary>One of <see cref="StreamKinds"/>.</summary>
    public required string Kind { get; init; }

    /// <summary><c>tcp://host:port</c> or <c>tls://host:port</c> for syslog; an http(s) URL otherwise.</summary>
    public required string Url { get; init; }

    /// <summary>One of <see cref="StreamFormats"/>.</summary>
    public required string Format { get; init; }

    public string? Secret { get; init; }

    /// <summary>For <c>tls://</c>: the PEM text of the CA certificates that sign the receiver's certificate (else the system's).</summary>
    public string? CaPem { get; init; }

    /// <summary>For <c>tls://</c>: the SHA-256 of the receiver's certificate (hex); when set, only that certificate is accepted.</summary>
    public string? PinnedSha256 { get; init; }

    public IReadOnlyList<string> Types { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public string Query { get; init; } = "";
    public bool Paused { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public StreamProgress Progress { get; init; } = new();

    /// <summary>The instance delivering the stream and until when its lease holds; null when none holds it.</summary>
    public string? LeaseOwner { get; init; }

    public DateTimeOffset? LeaseUntil { get; init; }
}

/// <summary>
/// How far a stream got: every event up to <see cref="DeliveredSeq"/> was delivered (or left out by
/// the stream's filters). <see cref="FailingSince"/> is set while the destination keeps failing, and
/// <see cref="FailureRecorded"/> once that was recorded as an <c>integration_failure</c> event.
/// </summary>
public sealed record StreamProgress
{
    public long DeliveredSeq { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public DateTimeOffset? FailingSince { get; init; }
    public bool FailureRecorded { get; init; }
}

public static class StreamKinds
{
    /// <summary>RFC 5424 messages over TCP, octet-counted (RFC 6587), optionally TLS.</summary>
    public const string Syslog = "syslog";

    /// <summary>NDJSON batches, gzip, POSTed and signed as Standard Webhooks.</summary>
    public const string Http = "http";

    /// <summary>Splunk's HTTP Event Collector.</summary>
    public const string SplunkHec = "splunk_hec";

    public static IReadOnlyList<string> All { get; } = [Syslog, Http, SplunkHec];
}

public static class StreamFormats
{
    /// <summary>The event as the API shows it, with seq and hash.</summary>
    public const string Witness = "witness";

    /// <summary>OCSF 1.1 records (Authentication, Account Change, Entity Management, API Activity).</summary>
    public const string Ocsf = "ocsf";

    /// <summary>ArcSight Common Event Format.</summary>
    public const string Cef = "cef";

    public static IReadOnlyList<string> All { get; } = [Witness, Ocsf, Cef];
}
