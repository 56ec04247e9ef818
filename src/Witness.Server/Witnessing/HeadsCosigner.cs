using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Integrity;
using Witness.Server.Auditing;
using Witness.Server.Tenants;
using Witness.Storage;

namespace Witness.Server.Witnessing;

/// <summary>
/// Submits each new heads checkpoint to the configured witnesses (C2SP tlog-witness <c>add-checkpoint</c>, with the
/// consistency proof from the size each witness last cosigned), keeps the <c>cosignature/v1</c> lines that verify
/// with the witnesses' keys, and stores the cosigned note. Runs beside ingest, never in it: an append only wakes it.
/// A witness answering 409 with a larger size than the log's, or 422, refuses a rollback or fork: that is logged as
/// an error and shown in <see cref="StatusAsync"/>, and the log stays unwitnessed until an operator looks.
/// </summary>
/// <remarks>
/// Everything it learns is kept in the store (<see cref="IHeadsLogStore.SaveHeadsCosignatureAsync"/>,
/// <see cref="IHeadsLogStore.SaveHeadsWitnessProblemAsync"/>): a restarted instance, or another instance on the same
/// PostgreSQL database, serves the cosigned checkpoint and submits from each witness's size without a 409 first.
/// When the heads log falls behind (<see cref="WitnessingOptions.AlertAfter"/>) it logs an error, records one
/// <c>integration_failure</c> event (<see cref="BehindAction"/>) in the platform log, where alert rules and webhooks
/// pick it up, and the <c>witnessing</c> readiness check and the <c>witness.witnessing.*</c> metrics show it.
/// </remarks>
internal sealed class HeadsCosigner : BackgroundService
{
    /// <summary>The action of the platform log's <c>integration_failure</c> event that records the heads log falling behind.</summary>
    public const string BehindAction = "witnessing.behind";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(20) };

    private readonly HeadsLog _heads;
    private readonly WitnessingOptions _options;
    private readonly TimeProvider _clock;
    private readonly SystemEvents _events;
    private readonly ILogger<HeadsCosigner> _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private DateTimeOffset? _alertedFor;
    private volatile WitnessingSnapshot? _snapshot;

    public HeadsCosigner(HeadsLogService appends, HeadsLog heads, WitnessServerOptions options, SystemEvents events, ILogger<HeadsCosigner> logger)
    {
        _heads = heads;
        _options = options.Witnessing;
        _clock = options.Clock;
        _events = events;
        _logger = logger;
        appends.Appended += _ =>
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        };
    }

    /// <summary>Whether any witness is configured.</summary>
    public bool Enabled => _options.Witnesses.Count > 0;

    /// <summary>The heads log's origin.</summary>
    public string Origin => _heads.Origin;

    /// <summary>What each witness last did, and whether the heads log is witnessed by the policy.</summary>
    public async Task<WitnessingStatus> StatusAsync(CancellationToken ct)
    {
        var store = _heads.Store;
        var latest = await store.LatestHeadsCheckpointAsync(ct);
        var policy = _options.EffectivePolicy;
        var witnessed = policy > 0 ? await store.LatestCosignedHeadsAsync(policy, ct) : null;
        var pending = policy > 0 && latest is not null && (witnessed?.Size ?? 0) < latest.Size
            ? await store.FirstHeadsCheckpointAfterAsync(witnessed?.Size ?? 0, ct)
            : null;
        var records = (await store.ListHeadsWitnessesAsync(ct)).ToDictionary(r => r.Witness, StringComparer.Ordinal);
        var witnesses = _options.Witnesses.Select(w =>
        {
            var record = records.GetValueOrDefault(w.Key.Text);
            return new WitnessStatus(w.Key.Name, w.Key.KeyId.ToString("x8", CultureInfo.InvariantCulture), w.Url.ToString(),
                record?.CosignedSize ?? 0, record?.CosignedAt, record?.Problem, record?.Refused ?? false);
        }).ToList();
        var snapshot = new WitnessingSnapshot(latest?.Size ?? 0, witnessed?.Size ?? 0, pending?.CreatedAt, witnesses.Count(w => w.Refused));
        _snapshot = snapshot;
        var now = _clock.GetUtcNow();
        return new WitnessingStatus(_heads.Origin, snapshot.Size, policy, witnessed, IsBehind(snapshot, now), witnesses)
        {
            PendingSince = snapshot.PendingSince,
            LagSeconds = Lag(snapshot, now).TotalSeconds,
            AlertAfterSeconds = _options.AlertAfter.TotalSeconds,
        };
    }

    /// <summary>
    /// The latest heads checkpoint cosigned by the policy's witnesses, with the inclusion proof of the heads entry at
    /// <paramref name="index"/> in it when it covers that entry; null when no witness is configured or none is cosigned yet.
    /// </summary>
    public async Task<HeadsWitnessed?> WitnessedAsync(long index, CancellationToken ct)
    {
        if (!Enabled || await _heads.Store.LatestCosignedHeadsAsync(_options.EffectivePolicy, ct) is not { } witnessed)
        {
            return null;
        }

        var proof = index < witnessed.Size ? await MerkleProofs.InclusionAsync(index, witnessed.Size, _heads.Store.HeadsNodes, ct) : null;
        return new HeadsWitnessed(witnessed, _options.EffectivePolicy, proof);
    }

    /// <summary>The last status this instance computed, for the metrics (read without the store); null before the first.</summary>
    internal WitnessingSnapshot? Snapshot => _snapshot;

    internal bool IsBehind(WitnessingSnapshot snapshot, DateTimeOffset now) =>
        Enabled && snapshot.PendingSince is not null
        && (Lag(snapshot, now) > _options.AlertAfter || snapshot.Refusing > _options.Witnesses.Count - _options.EffectivePolicy);

    internal static TimeSpan Lag(WitnessingSnapshot snapshot, DateTimeOffset now) =>
        snapshot.PendingSince is { } since && now > since ? now - since : TimeSpan.Zero;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        Telemetry.WitnessingMetrics.Watch(this, _clock);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await WitnessLatestAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogError(ex, "Submitting the heads checkpoint to the witnesses failed; retried in {Interval}", _options.RetryInterval);
                }

                // At most one round per MinInterval: checkpoints signed meanwhile are covered by the latest.
                await Task.Delay(_options.MinInterval, _clock, stoppingToken);
                using var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(_wake.WaitAsync(round.Token), Task.Delay(_options.RetryInterval, _clock, round.Token));
                await round.CancelAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            Telemetry.WitnessingMetrics.Unwatch(this);
        }
    }

    /// <summary>
    /// Submits the latest heads checkpoint to every witness that has not cosigned it, stores the cosignatures, and
    /// raises the alert when the log fell behind.
    /// </summary>
    public async Task WitnessLatestAsync(CancellationToken ct)
    {
        var latest = await _heads.Store.LatestHeadsCheckpointAsync(ct);
        if (latest is not null && Enabled)
        {
            var records = (await _heads.Store.ListHeadsWitnessesAsync(ct)).ToDictionary(r => r.Witness, StringComparer.Ordinal);
            await Task.WhenAll(_options.Witnesses.Select(w => CosignAsync(w, records.GetValueOrDefault(w.Key.Text), latest, ct)));
        }

        var status = await StatusAsync(ct);
        if (status.Behind && _alertedFor != status.PendingSince)
        {
            _alertedFor = status.PendingSince;
            _logger.LogError("The heads log {Origin} at size {Size} is not witnessed by {Policy} witnesses (last at size {Witnessed}); see GET /v1/witnessing",
                status.Origin, status.Size, status.Policy, status.LastWitnessed?.Size ?? 0);
            await RecordBehindAsync(status);
        }
        else if (!status.Behind)
        {
            _alertedFor = null;
        }
    }

    /// <summary>One event per episode (its id names when the unwitnessed checkpoints began), so several instances record it once.</summary>
    private async Task RecordBehindAsync(WitnessingStatus status)
    {
        var since = status.PendingSince ?? _clock.GetUtcNow();
        var refused = status.Witnesses.Where(w => w.Refused).Select(w => w.Name).ToList();
        var e = new AuditEvent
        {
            Id = $"wbehind_{since.ToUnixTimeMilliseconds()}",
            Tenant = PlatformLog.Tenant,
            OccurredAt = default,
            Type = LogTypes.IntegrationFailure,
            Action = BehindAction,
            Category = "Witnessing",
            Actor = SystemEvents.Witness,
            Targets = [new EventTarget { Type = "heads_log", Id = status.Origin, Name = status.Origin }],
            Outcome = Outcomes.Failure,
            Reason = refused.Count > 0 ? $"refused by {string.Join(", ", refused)}" : string.Join("; ", status.Witnesses.Select(w => w.Problem).OfType<string>().Distinct()),
            Metadata = JsonSerializer.SerializeToElement(new Dictionary<string, long>
            {
                ["size"] = status.Size,
                ["witnessed_size"] = status.LastWitnessed?.Size ?? 0,
                ["policy"] = status.Policy,
            }),
            Description = $"The heads log has not been witnessed by {status.Policy} witnesses since {since:yyyy-MM-dd HH:mm:ss} UTC",
        };
        try
        {
            await _events.RecordAsync(e, idempotent: true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "Recording that the heads log is not witnessed failed");
        }
    }

    /// <summary>Has the witness cosign <paramref name="checkpoint"/> unless it did; what it answers is kept in the store.</summary>
    private async Task CosignAsync(WitnessEndpoint witness, HeadsWitnessRecord? record, StoredCheckpoint checkpoint, CancellationToken ct)
    {
        if (record is not null && record.CosignedSize >= checkpoint.Size && record.Problem is null)
        {
            return;
        }

        var known = record?.KnownSize ?? 0;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (known > checkpoint.Size)
            {
                await RefuseAsync(witness, known, $"the witness cosigned size {known}, larger than the heads log's {checkpoint.Size}: the log was rolled back", ct);
                return;
            }

            byte[][] proof = known == 0 || known == checkpoint.Size ? [] : await MerkleProofs.ConsistencyAsync(known, checkpoint.Size, _heads.Store.HeadsNodes, ct);
            var body = string.Create(CultureInfo.InvariantCulture, $"old {known}\n") + string.Concat(proof.Select(h => Convert.ToBase64String(h) + "\n")) + "\n" + checkpoint.Note;
            HttpResponseMessage response;
            string text;
            try
            {
                response = await Http.PostAsync(new Uri(witness.Url, "add-checkpoint"), new StringContent(body, System.Text.Encoding.UTF8, "text/plain"), ct);
                text = await response.Content.ReadAsStringAsync(ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                await ProblemAsync(witness, known, $"unreachable: {ex.Message}", ct);
                return;
            }

            using (response)
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        var line = text.Split('\n').Select(l => l + "\n").FirstOrDefault(l => witness.Key.CosignatureTime(checkpoint.Note + l) is not null);
                        if (line is null)
                        {
                            await ProblemAsync(witness, known, "answered without a cosignature that verifies with its key", ct);
                            return;
                        }

                        await _heads.Store.SaveHeadsCosignatureAsync(witness.Key.Text, checkpoint.Size, line, _clock.GetUtcNow(), ct);
                        return;
                    case HttpStatusCode.Conflict when long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size):
                        known = size;
                        continue;
                    case HttpStatusCode.UnprocessableEntity:
                        await RefuseAsync(witness, known, $"refused size {checkpoint.Size} as not a consistent extension of size {known} it cosigned (422): the log forked", ct);
                        return;
                    default:
                        await ProblemAsync(witness, known, $"answered {(int)response.StatusCode}: {text.Trim()}", ct);
                        return;
                }
            }
        }

        await ProblemAsync(witness, known, "the witness's size kept changing (409)", ct);
    }

    private Task RefuseAsync(WitnessEndpoint witness, long known, string problem, CancellationToken ct)
    {
        _logger.LogError("Witness {Witness} refused the heads log: {Problem}", witness.Key.Name, problem);
        return _heads.Store.SaveHeadsWitnessProblemAsync(witness.Key.Text, known, problem, refused: true, _clock.GetUtcNow(), ct);
    }

    private Task ProblemAsync(WitnessEndpoint witness, long known, string problem, CancellationToken ct)
    {
        _logger.LogWarning("Witness {Witness} did not cosign the heads log: {Problem}", witness.Key.Name, problem);
        return _heads.Store.SaveHeadsWitnessProblemAsync(witness.Key.Text, known, problem, refused: false, _clock.GetUtcNow(), ct);
    }
}

/// <summary>Whether the heads log is witnessed by the policy's K witnesses, and what each witness last did.</summary>
public sealed record WitnessingStatus(string Origin, long Size, int Policy, CosignedHeads? LastWitnessed, bool Behind, IReadOnlyList<WitnessStatus> Witnesses)
{
    /// <summary>When the oldest heads checkpoint not covered by <see cref="LastWitnessed"/> was signed; null when every one is.</summary>
    public DateTimeOffset? PendingSince { get; init; }

    /// <summary>How long that checkpoint has waited for the policy's cosignatures, in seconds; 0 when none waits.</summary>
    public double LagSeconds { get; init; }

    /// <summary>The wait after which the log counts as behind (<see cref="WitnessingOptions.AlertAfter"/>), in seconds.</summary>
    public double AlertAfterSeconds { get; init; }
}

/// <summary>One witness: the size it last cosigned and when, and why it did not cosign the latest, if it did not.</summary>
public sealed record WitnessStatus(string Name, string KeyId, string Url, long CosignedSize, DateTimeOffset? CosignedAt, string? Problem, bool Refused);

/// <summary>The latest heads checkpoint cosigned by <paramref name="Policy"/> witnesses, and an entry's inclusion proof in it (null when it does not cover the entry).</summary>
internal sealed record HeadsWitnessed(CosignedHeads Checkpoint, int Policy, byte[][]? Proof);

/// <summary>What the metrics need of a status: the log's size, the witnessed size, since when checkpoints wait, how many witnesses refuse.</summary>
internal sealed record WitnessingSnapshot(long Size, long WitnessedSize, DateTimeOffset? PendingSince, int Refusing);
