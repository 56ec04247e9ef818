using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Witness.Server.Catalog;

namespace Witness.Server;

/// <summary>How one Witness server runs. Every default is what a small install wants.</summary>
public sealed class WitnessServerOptions
{
    /// <summary>The folder of the SQLite file and the checkpoint signing key. Default <c>./witness-data</c>.</summary>
    public string DataDirectory { get; set; } = "witness-data";

    /// <summary>
    /// An Npgsql connection string: when set, the server runs on PostgreSQL (several instances may
    /// share the database) instead of SQLite in <see cref="DataDirectory"/>.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// A PEM file holding the checkpoint signing key (PKCS#8 or SEC 1, P-256). Instances that share a
    /// PostgreSQL database must share one key. When null, the key is <c>checkpoint-signing-key.pem</c>
    /// in <see cref="DataDirectory"/>, created at first start.
    /// </summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>
    /// The folder of the Data Protection key ring that seals console cookies and the secrets kept in
    /// the store (webhook secrets). When null: <c>console-keys</c> beside <see cref="SigningKeyFile"/>
    /// when set (so instances sharing that file share the ring), else in <see cref="DataDirectory"/>.
    /// Instances on one PostgreSQL database must share it.
    /// </summary>
    public string? KeyRingDirectory { get; set; }

    /// <summary>Addresses to listen on. Default <c>http://127.0.0.1:5080</c>: loopback only until the operator says otherwise.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>
    /// Write logs as one JSON object per line (Microsoft.Extensions.Logging's JSON console formatter)
    /// instead of plain text lines. Either way, text a user sent cannot start a new line.
    /// </summary>
    public bool JsonLogs { get; set; }

    /// <summary>The name in checkpoint origins and signatures (<c>&lt;origin&gt;/&lt;tenant&gt;</c>).</summary>
    public string Origin { get; set; } = "witness";

    /// <summary>The witnesses that cosign the heads log (<c>serve --witness</c>, <c>--witness-policy</c>).</summary>
    public Witnessing.WitnessingOptions Witnessing { get; } = new();

    /// <summary>A checkpoint is signed at least this often while events arrive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A checkpoint is signed as soon as this many events arrived since the last one.</summary>
    [Range(1L, 1_000_000_000L)]
    public long CheckpointEvery { get; set; } = 1000;

    /// <summary>Fill the <c>demo</c> tenant with realistic events at start when it is empty.</summary>
    public bool Demo { get; set; }

    /// <summary>How often retention looks for events past their tenant's retention days. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often the top lists' day counts are filled behind the counts (<see cref="Background.KeyDayCountService"/>): the days
    /// closed since the last pass and those a late event, a purge or an erasure changed. Default 10 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan KeyDayFillInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often the free-text blocks an erasure left holding trigram keys of erased values are rebuilt
    /// (<see cref="Background.TextBlockRepairService"/>). Default 10 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan TextBlockRepairInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many days back the fill loop keeps the top lists' day counts filled (older days are scanned when asked for). Default 92.</summary>
    [Range(1, 3660)]
    public int KeyDayFillDays { get; set; } = 92;

    /// <summary>The most events one purge transaction removes (whole blocks of 256), so ingest waits at most one short transaction. Default 1,024.</summary>
    [Range(1, 1_000_000)]
    public int RetentionBatchSize { get; set; } = 1024;

    /// <summary>
    /// Host names or IP literals webhooks may reach although they resolve to loopback, private,
    /// link-local or other non-public addresses (<c>serve --webhook-allow-host</c>). Empty by default:
    /// deliveries go to public addresses only.
    /// </summary>
    public IList<string> WebhookAllowedHosts { get; } = [];

    /// <summary>Attempts per webhook delivery, the first included, before it is recorded as a <c>webhook_failure</c>. Default 6.</summary>
    [Range(1, 100)]
    public int WebhookMaxAttempts { get; set; } = 6;

    /// <summary>The delay before the first retry; each next one doubles (exponential backoff with jitter). Default 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay between two attempts. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan WebhookMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long one attempt may take before it counts as failed. Default 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the delivery worker looks for due deliveries queued by other instances or left by a stopped one. Default 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan WebhookPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Presets written to the catalog at every start, in order: <c>NAME</c> into the global layer,
    /// <c>NAME:TENANT</c> into one tenant's layer. An entry replaces the stored entry of the same
    /// action in that layer.
    /// </summary>
    public List<PresetChoice> Presets { get; } = [];

    /// <summary>JSON catalog files (see <see cref="Witness.Catalog.CatalogFile"/>) written to the global layer at every start, after the presets.</summary>
    public List<string> CatalogFiles { get; } = [];

    /// <summary>How often the catalog is re-read from the store, so entries set through another instance arrive. Default 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Who may show the embeddable viewer (<c>/embed</c>) in a frame: the CSP <c>frame-ancestors</c>
    /// sources, e.g. <c>https://app.example.com</c>. Default <c>*</c>; the console itself can never be framed.
    /// </summary>
    public string EmbedFrameAncestors { get; set; } = "*";

    /// <summary>Failed console sign-ins allowed per account and per address before attempts are refused for a while.</summary>
    public Auth.SignInThrottleOptions SignInThrottle { get; } = new();

    /// <summary>Per-key and per-tenant rates of events and reads, and exports and verifications at once; validated at start.</summary>
    [ValidateObjectMembers]
    public Limits.RateLimitOptions RateLimits { get; } = new();

    /// <summary>How log streams are delivered: batch size, polling, leases, backoff, the failure threshold; validated at start.</summary>
    [ValidateObjectMembers]
    public Streams.StreamOptions Streams { get; } = new();

    /// <summary>The group commit's size bound and the ingest queue's bound (a full queue answers 503); validated at start.</summary>
    [ValidateObjectMembers]
    public Witness.Ingest.IngestOptions Ingest { get; } = new();

    /// <summary>The clock; tests replace it.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
}
