using Microsoft.Extensions.Options;

namespace Witness.Client;

/// <summary>How the client reaches Witness and how the background sender behaves. Validated when the host starts.</summary>
public sealed class WitnessClientOptions
{
    /// <summary>The Witness base address, such as <c>https://witness.example.com</c>. Required, absolute http(s).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>An API key (<c>events:write</c>, plus <c>events:read</c> to search and fetch proofs). Required.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The tenant put on events that name none; leave empty when the key is bound to a tenant.</summary>
    public string? Tenant { get; set; }

    /// <summary>
    /// What the background sender (<see cref="IAuditLog"/>) does when it cannot deliver.
    /// <see cref="DeliveryMode.BestEffort"/> (the default) drops events rather than grow; <see cref="DeliveryMode.MustDeliver"/>
    /// never drops, and needs <see cref="SpoolDirectory"/>.
    /// </summary>
    public DeliveryMode Mode { get; set; } = DeliveryMode.BestEffort;

    /// <summary>
    /// A folder where the background sender keeps events Witness has not taken yet (while it is unreachable, and
    /// across restarts). Without it, best-effort events that cannot be sent are dropped.
    /// </summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>Events held in memory before the sender pushes back (drops, or spills to the spool when must-deliver). 1–1,000,000; default 10,000.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Events per request, 1–1,000 (the server's batch limit); default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// How many batches the background sender has on their way to Witness at once, 1–64; default 8. More than one keeps
    /// Witness busy while a response travels back, and Witness commits requests that arrive together in one transaction:
    /// 8 is what its own ingest bench sends with. Batches sent together may be stored in either order (each event's
    /// <see cref="AuditEvent.OccurredAt"/> keeps its time). 1 sends batches strictly in turn.
    /// </summary>
    public int MaxBatchesInFlight { get; set; } = 8;

    /// <summary>The first wait before retrying the spool after a failed delivery; doubles up to <see cref="MaxRetryDelay"/>. Default 1 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between delivery attempts while Witness is unreachable. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long stopping the host waits for queued events to reach Witness before spooling the rest. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>What the background sender does when Witness cannot take events (the two modes of Serilog's <c>WriteTo</c> and <c>AuditTo</c>).</summary>
public enum DeliveryMode
{
    /// <summary>
    /// Recording never waits: a full queue drops the new event (counted in <see cref="IAuditLog.Dropped"/>), and failed
    /// batches go to the spool when one is configured, else are dropped and logged.
    /// </summary>
    BestEffort,

    /// <summary>
    /// Nothing is dropped: a full queue spills to the spool on disk, failed batches are spooled and retried until Witness
    /// takes them, and stopping the host spools whatever it could not send. Requires <see cref="WitnessClientOptions.SpoolDirectory"/>.
    /// Events still in memory when the process is killed are lost; for changes that must never be lost use the
    /// EF Core outbox, which commits the event with the change.
    /// </summary>
    MustDeliver,
}

internal sealed class WitnessClientOptionsValidator : IValidateOptions<WitnessClientOptions>
{
    public ValidateOptionsResult Validate(string? name, WitnessClientOptions options)
    {
        var errors = new List<string>();
        if (options.Endpoint is not { IsAbsoluteUri: true } endpoint || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add("Witness:Endpoint must be an absolute http or https address, such as https://witness.example.com.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            errors.Add("Witness:ApiKey is required (create one with `witness keys create`).");
        }

        if (options.Tenant is { } tenant && (tenant.Length is 0 or > 64 || !tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            errors.Add("Witness:Tenant must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.");
        }

        if (options.Mode == DeliveryMode.MustDeliver && string.IsNullOrWhiteSpace(options.SpoolDirectory))
        {
            errors.Add("Witness:SpoolDirectory is required when Witness:Mode is MustDeliver.");
        }

        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            errors.Add("Witness:QueueCapacity must be from 1 to 1,000,000.");
        }

        if (options.BatchSize is < 1 or > 1_000)
        {
            errors.Add("Witness:BatchSize must be from 1 to 1,000.");
        }

        if (options.MaxBatchesInFlight is < 1 or > 64)
        {
            errors.Add("Witness:MaxBatchesInFlight must be from 1 to 64.");
        }

        if (options.RetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.RetryDelay)
        {
            errors.Add("Witness:RetryDelay must be positive and no longer than Witness:MaxRetryDelay.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            errors.Add("Witness:ShutdownTimeout must not be negative.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
