using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Polly;
using Polly.Retry;
using Witness.Events;

namespace Witness.Cli;

/// <summary>
/// Imports through a server's <c>POST /v1/events</c> in batches, so the server applies its own
/// validation, catalog and strict mode. Transient failures (no connection, 5xx, 429) are retried
/// with backoff; a batch is all-or-nothing on the server, so rejected events are set aside and the
/// rest sent again.
/// </summary>
internal sealed partial class ApiImportTarget : IImportTarget
{
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;

    public ApiImportTarget(Uri baseAddress, string key)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.TooManyRequests),
                MaxRetryAttempts = 5,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
            })
            .Build();
    }

    [GeneratedRegex(@"^events\[(\d+)\]\.?(.*)\z", RegexOptions.Singleline)]
    private static partial Regex BatchField();

    /// <summary>The server applies the tenant's catalog and strict mode itself, and reports them per event.</summary>
    public Task<IReadOnlyList<ValidationError>> CheckAsync(SubmittedEvent parsed, CancellationToken ct) => Task.FromResult<IReadOnlyList<ValidationError>>([]);

    public async Task<IReadOnlyList<ImportOutcome>> AppendAsync(IReadOnlyList<(JsonObject Json, SubmittedEvent Parsed)> batch, CancellationToken ct)
    {
        var outcomes = new ImportOutcome?[batch.Count];
        var pending = Enumerable.Range(0, batch.Count).ToList();
        while (pending.Count > 0)
        {
            var body = new JsonObject { ["events"] = new JsonArray([.. pending.Select(i => batch[i].Json.DeepClone())]) }.ToJsonString();
            using var response = await _retry.ExecuteAsync(
                async token => await _http.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, "application/json"), token), ct);
            if (response.IsSuccessStatusCode)
            {
                var statuses = await AppendStatusesAsync(response, pending.Count, ct);
                for (var k = 0; k < pending.Count; k++)
                {
                    outcomes[pending[k]] = new ImportOutcome(statuses[k] == "existing" ? ImportResult.AlreadyThere : ImportResult.Added);
                }

                break;
            }

            var text = await response.Content.ReadAsStringAsync(ct);
            var rejected = RejectedEvents(text);
            if (response.StatusCode is not (HttpStatusCode.BadRequest or HttpStatusCode.Conflict) || rejected.Count == 0)
            {
                throw new CliException($"the server answered {(int)response.StatusCode}: {text}", 1);
            }

            foreach (var (index, error) in rejected.OrderByDescending(r => r.Key))
            {
                outcomes[pending[index]] = new ImportOutcome(ImportResult.Rejected, error);
                pending.RemoveAt(index);
            }
        }

        return [.. outcomes.Select(o => o!)];
    }

    /// <summary>The <c>status</c> of each event of a <c>{"events":[{id, seq, hash, status}]}</c> answer, in the order sent.</summary>
    private static async Task<string[]> AppendStatusesAsync(HttpResponseMessage response, int count, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var statuses = doc.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("status").GetString() ?? "").ToArray();
            if (statuses.Length == count)
            {
                return statuses;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Reported below.
        }

        throw new CliException($"the server answered {(int)response.StatusCode} with an unexpected body: {text[..Math.Min(text.Length, 300)]}", 1);
    }

    /// <summary>The events a problem response names (<c>events[i].field</c>), by index in the batch sent.</summary>
    private static Dictionary<int, ValidationError> RejectedEvents(string problem)
    {
        var rejected = new Dictionary<int, ValidationError>();
        try
        {
            using var doc = JsonDocument.Parse(problem);
            if (!doc.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array)
            {
                return rejected;
            }

            foreach (var error in errors.EnumerateArray())
            {
                var match = BatchField().Match(error.GetProperty("field").GetString() ?? "");
                if (match.Success)
                {
                    rejected.TryAdd(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                        new ValidationError(match.Groups[2].Value, error.GetProperty("message").GetString() ?? ""));
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            rejected.Clear();
        }

        return rejected;
    }

    /// <summary>The server signs the tenant's new events itself, within its checkpoint interval.</summary>
    public Task<string?> FinishAsync(string tenant, CancellationToken ct) => Task.FromResult<string?>(null);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
