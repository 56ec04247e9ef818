using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Server.Witnessing;

/// <summary>
/// Submits each new heads checkpoint to the configured witnesses (C2SP tlog-witness <c>add-checkpoint</c>, with the
/// consistency proof from the size each witness last cosigned), keeps the <c>cosignature/v1</c> lines that verify
/// with the witnesses' keys, and stores the cosigned note. Runs beside ingest, never in it: an append only wakes it.
/// A witness answering 409 with a larger size than the log's, or 422, refuses a rollback or fork: that is logged as
/// an error and shown in <see cref="StatusAsync"/>, and the log stays unwitnessed until an operator looks.
/// </summary>
public sealed class HeadsCosigner : BackgroundService
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(20) };

    private readonly HeadsLog _heads;
    private readonly WitnessingOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<HeadsCosigner> _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<string, WitnessState> _states = new(StringComparer.Ordinal);
    private bool _alerted;

    public HeadsCosigner(HeadsLogService appends, HeadsLog heads, WitnessServerOptions options, ILogger<HeadsCosigner> logger)
    {
        _heads = heads;
        _options = options.Witnessing;
        _clock = options.Clock;
        _logger = logger;
        foreach (var witness in _options.Witnesses)
        {
            _states[witness.Key.Text] = new WitnessState();
        }

        appends.Appended += _ =>
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        };
    }

    /// <summary>What each witness last did, and whether the heads log is witnessed by the policy.</summary>
    public async Task<WitnessingStatus> StatusAsync(CancellationToken ct)
    {
        var latest = await _heads.Store.LatestHeadsCheckpointAsync(ct);
        var policy = _options.EffectivePolicy;
        var witnessed = policy > 0 ? await _heads.Store.LatestCosignedHeadsAsync(policy, ct) : null;
        var behind = policy > 0 && latest is not null && (witnessed?.Size ?? 0) < latest.Size
            && (_clock.GetUtcNow() - latest.CreatedAt > _options.AlertAfter || RefusingWitnesses() > _options.Witnesses.Count - policy);
        var witnesses = _options.Witnesses.Select(w =>
        {
            var state = _states[w.Key.Text];
            return new WitnessStatus(w.Key.Name, w.Key.KeyId.ToString("x8", CultureInfo.InvariantCulture), w.Url.ToString(), state.CosignedSize, state.CosignedAt, state.Problem, state.Refused);
        }).ToList();
        return new WitnessingStatus(_heads.Origin, latest?.Size ?? 0, policy, witnessed, behind, witnesses);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Witnesses.Count == 0)
        {
            return;
        }

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

    /// <summary>Submits the latest heads checkpoint to every witness that has not cosigned it, and stores the cosignatures.</summary>
    public async Task WitnessLatestAsync(CancellationToken ct)
    {
        var latest = await _heads.Store.LatestHeadsCheckpointAsync(ct);
        if (latest is null)
        {
            return;
        }

        var lines = await Task.WhenAll(_options.Witnesses.Select(w => CosignAsync(w, latest, ct)));
        var cosignatures = lines.OfType<string>().ToList();
        if (cosignatures.Count > 0)
        {
            await _heads.Store.SaveHeadsCosignaturesAsync(latest.Size, latest.Note + string.Concat(cosignatures), cosignatures.Count, _clock.GetUtcNow(), ct);
        }

        var status = await StatusAsync(ct);
        if (status.Behind && !_alerted)
        {
            _alerted = true;
            _logger.LogError("The heads log {Origin} at size {Size} is not witnessed by {Policy} witnesses (last at size {Witnessed}); see GET /v1/witnessing",
                status.Origin, status.Size, status.Policy, status.LastWitnessed?.Size ?? 0);
        }
        else if (!status.Behind)
        {
            _alerted = false;
        }
    }

    private int RefusingWitnesses() => _states.Values.Count(s => s.Refused);

    /// <summary>The witness's cosignature line of <paramref name="checkpoint"/> (newline included), or null.</summary>
    private async Task<string?> CosignAsync(WitnessEndpoint witness, StoredCheckpoint checkpoint, CancellationToken ct)
    {
        var state = _states[witness.Key.Text];
        if (state.CosignedSize == checkpoint.Size && state.Line is not null && state.Note == checkpoint.Note)
        {
            return state.Line;
        }

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var old = state.KnownSize;
            if (old > checkpoint.Size)
            {
                return Refuse(witness, state, $"the witness cosigned size {old}, larger than the heads log's {checkpoint.Size}: the log was rolled back");
            }

            byte[][] proof = old == 0 || old == checkpoint.Size ? [] : await MerkleProofs.ConsistencyAsync(old, checkpoint.Size, _heads.Store.HeadsNodes, ct);
            var body = string.Create(CultureInfo.InvariantCulture, $"old {old}\n") + string.Concat(proof.Select(h => Convert.ToBase64String(h) + "\n")) + "\n" + checkpoint.Note;
            HttpResponseMessage response;
            string text;
            try
            {
                response = await Http.PostAsync(new Uri(witness.Url, "add-checkpoint"), new StringContent(body, System.Text.Encoding.UTF8, "text/plain"), ct);
                text = await response.Content.ReadAsStringAsync(ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                return Problem(witness, state, $"unreachable: {ex.Message}");
            }

            using (response)
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        var line = text.Split('\n').Select(l => l + "\n").FirstOrDefault(l => witness.Key.CosignatureTime(checkpoint.Note + l) is not null);
                        if (line is null)
                        {
                            return Problem(witness, state, "answered without a cosignature that verifies with its key");
                        }

                        (state.KnownSize, state.CosignedSize, state.CosignedAt, state.Line, state.Note, state.Problem, state.Refused) =
                            (checkpoint.Size, checkpoint.Size, _clock.GetUtcNow(), line, checkpoint.Note, null, false);
                        return line;
                    case HttpStatusCode.Conflict when long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size):
                        state.KnownSize = size;
                        continue;
                    case HttpStatusCode.UnprocessableEntity:
                        return Refuse(witness, state, $"refused size {checkpoint.Size} as not a consistent extension of size {old} it cosigned (422): the log forked");
                    default:
                        return Problem(witness, state, $"answered {(int)response.StatusCode}: {text.Trim()}");
                }
            }
        }

        return Problem(witness, state, "the witness's size kept changing (409)");
    }

    private string? Refuse(WitnessEndpoint witness, WitnessState state, string problem)
    {
        (state.Problem, state.Refused) = (problem, true);
        _logger.LogError("Witness {Witness} refused the heads log: {Problem}", witness.Key.Name, problem);
        return null;
    }

    private string? Problem(WitnessEndpoint witness, WitnessState state, string problem)
    {
        state.Problem = problem;
        _logger.LogWarning("Witness {Witness} did not cosign the heads log: {Problem}", witness.Key.Name, problem);
        return null;
    }

    private sealed class WitnessState
    {
        public long KnownSize { get; set; }
        public long CosignedSize { get; set; }
        public DateTimeOffset? CosignedAt { get; set; }
        public string? Line { get; set; }
        public string? Note { get; set; }
        public string? Problem { get; set; }
        public bool Refused { get; set; }
    }
}

/// <summary>Whether the heads log is witnessed by the policy's K witnesses, and what each witness last did.</summary>
public sealed record WitnessingStatus(string Origin, long Size, int Policy, CosignedHeads? LastWitnessed, bool Behind, IReadOnlyList<WitnessStatus> Witnesses);

/// <summary>One witness: the size it last cosigned and when, and why it did not cosign the latest, if it did not.</summary>
public sealed record WitnessStatus(string Name, string KeyId, string Url, long CosignedSize, DateTimeOffset? CosignedAt, string? Problem, bool Refused);
